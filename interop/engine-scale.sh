#!/usr/bin/env bash
# engine-scale.sh - issue 6 acceptance 1 at full scale: SOGo seeded with
# 2,000 mails (attachments up to 1.5 MB, non-ASCII, three folders), 1,000
# events (recurring with exceptions, all-day, meetings, four time zones),
# 1,000 contacts (photos, up to five phones) and 200 tasks; one
# `easbridge sync --once` must mirror every item, compared item by item with
# SOGo's CalDAV/CardDAV (semantically) and IMAP (BODY[] byte for byte, and
# flags). A second cycle must change nothing. Runs interop/engine.sh with
# ENGINE_SCALE=1; a few minutes on two cores.
exec env ENGINE_SCALE=1 bash "$(dirname "$0")/engine.sh" "$@"
