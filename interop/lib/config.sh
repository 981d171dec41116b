# lib/config.sh - sourced by the engine suites (not a suite itself): bridge_config writes to stdout
# the easbridge config of one account on the SOGo of interop/easserver
# (EAS_USER, EAS_PASSWORD, EAS_EMAIL from its start output), its state
# and Maildir under $T, mirroring everything, DAV password "davpw".
#
#   bridge_config NAME EAS_URL DAV_LISTEN [TOML]
#
# TOML (optional) goes before the [[account]] table, e.g. [imap] listen.
bridge_config() {
	cat <<CONF
[dav]
listen = "$3"
password_command = "echo davpw"
${4:-}
[[account]]
name = "$1"
url = "$2"
username = "$EAS_USER"
password_command = "printf '%s' '$EAS_PASSWORD'"
email = "$EAS_EMAIL"
state_dir = "$T/state"
maildir = "$T/mail"
calendar_age = "all"
mail_age = "all"
CONF
}
