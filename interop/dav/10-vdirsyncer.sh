# vdirsyncer two-way sync between local vdirs and the server: create,
# modify and delete on each side, for calendars and contacts; after each
# round both sides must hold exactly the same items with the same content.
# Sourced by interop/dav.sh (URL, AUTH, T, check, pass, fail).

VD=$T/vdirsyncer
mkdir -p "$VD/status" "$VD/cal" "$VD/card"
cat >"$VD/config" <<CONF
[general]
status_path = "$VD/status/"

[pair cal]
a = "cal_local"
b = "cal_remote"
collections = ["from b"]

[storage cal_local]
type = "filesystem"
path = "$VD/cal/"
fileext = ".ics"

[storage cal_remote]
type = "caldav"
url = "$URL"
username = "easbridge"
password = "${AUTH#easbridge:}"

[pair card]
a = "card_local"
b = "card_remote"
collections = ["from b"]

[storage card_local]
type = "filesystem"
path = "$VD/card/"
fileext = ".vcf"

[storage card_remote]
type = "carddav"
url = "$URL"
username = "easbridge"
password = "${AUTH#easbridge:}"
CONF

vds() { vdirsyncer -c "$VD/config" "$@" </dev/null; }

ics() { # ics UID SUMMARY
	printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//easbridge//interop//EN\r\nBEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\nSUMMARY:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' "$1" "$2"
}
vcf() { # vcf UID NAME
	printf 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:%s\r\nFN:%s\r\nN:%s;;;;\r\nEMAIL:%s@example.com\r\nEND:VCARD\r\n' "$1" "$2" "$2" "$1"
}
remote_put() { # remote_put PATH < body
	curl -sf -u "$AUTH" -X PUT -H "Content-Type: $2" --data-binary @- "${URL}$1" -o /dev/null
}
remote_get() { curl -sf -u "$AUTH" "${URL}$1"; }

# remote_uids PATH: the UIDs of every object of a collection (sorted).
remote_uids() {
	curl -sf -u "$AUTH" -X PROPFIND -H 'Depth: 1' "${URL}$1" |
		grep -o '<d:href>[^<]*</d:href>' | sed 's/<[^>]*>//g' | grep -v '/$' |
		while read -r href; do curl -sf -u "$AUTH" "${URL%/}$href" | tr -d '\r' | sed -n 's/^UID://p'; done | sort
}
local_uids() { cat "$1"/* 2>/dev/null | tr -d '\r' | sed -n 's/^UID://p' | sort; }

# converged KIND LOCALDIR REMOTEPATH UIDS...: both sides hold exactly UIDS
# and every item has the same SUMMARY/FN on both sides.
converged() {
	local dir=$1 path=$2; shift 2
	local want
	want=$(printf '%s\n' "$@" | sort)
	[ "$(local_uids "$dir")" = "$want" ] || { echo "local: $(local_uids "$dir" | xargs) want: $(echo $want)"; return 1; }
	[ "$(remote_uids "$path")" = "$want" ] || { echo "remote: $(remote_uids "$path" | xargs) want: $(echo $want)"; return 1; }
	local f uid l r
	for f in "$dir"/*; do
		uid=$(tr -d '\r' <"$f" | sed -n 's/^UID://p')
		l=$(tr -d '\r' <"$f" | grep -E '^(SUMMARY|FN):')
		r=$(curl -sf -u "$AUTH" -X PROPFIND -H 'Depth: 1' "${URL}$path" | grep -o '<d:href>[^<]*</d:href>' |
			sed 's/<[^>]*>//g' | grep -v '/$' | while read -r href; do
				body=$(curl -sf -u "$AUTH" "${URL%/}$href" | tr -d '\r')
				if echo "$body" | grep -qx "UID:$uid"; then echo "$body" | grep -E '^(SUMMARY|FN):'; fi
			done)
		[ "$l" = "$r" ] || { echo "$uid: local '$l' remote '$r'"; return 1; }
	done
}

CAL=$VD/cal/calendar
CARD=$VD/card/contacts
check "vdirsyncer discover" bash -c "yes | vdirsyncer -c '$VD/config' discover"
check "vdirsyncer initial sync" vds sync

# Round 1: create on each side.
ics remote-ev-1 "Created on the server" | remote_put calendars/easbridge/calendar/remote-ev-1.ics text/calendar
vcf remote-card-1 "Server Person" | remote_put contacts/easbridge/contacts/remote-card-1.vcf text/vcard
ics local-ev-1 "Created locally" >"$CAL/local-ev-1.ics"
vcf local-card-1 "Local Person" >"$CARD/local-card-1.vcf"
check "vdirsyncer sync after creates" vds sync
check "calendars converge after creates" converged "$CAL" calendars/easbridge/calendar/ remote-ev-1 local-ev-1
check "contacts converge after creates" converged "$CARD" contacts/easbridge/contacts/ remote-card-1 local-card-1

# Round 2: modify on each side (the other side's item).
ics local-ev-1 "Changed on the server" | remote_put calendars/easbridge/calendar/local-ev-1.ics text/calendar
vcf local-card-1 "Local Person Renamed On Server" | remote_put contacts/easbridge/contacts/local-card-1.vcf text/vcard
f=$(grep -l 'UID:remote-ev-1' "$CAL"/*); ics remote-ev-1 "Changed locally" >"$f"
f=$(grep -l 'UID:remote-card-1' "$CARD"/*); vcf remote-card-1 "Server Person Renamed Locally" >"$f"
check "vdirsyncer sync after modifications" vds sync
check "calendar modifications arrive on both sides" bash -c "grep -q 'SUMMARY:Changed on the server' '$CAL'/* && curl -sf -u '$AUTH' '${URL}calendars/easbridge/calendar/' -X PROPFIND -H 'Depth: 1' | grep -o '[^>]*\.ics' | while read h; do curl -sf -u '$AUTH' '${URL%/}'\$h; done | grep -q 'SUMMARY:Changed locally'"
check "calendars converge after modifications" converged "$CAL" calendars/easbridge/calendar/ remote-ev-1 local-ev-1
check "contacts converge after modifications" converged "$CARD" contacts/easbridge/contacts/ remote-card-1 local-card-1

# Round 3: delete on each side.
curl -sf -u "$AUTH" -X DELETE "${URL}calendars/easbridge/calendar/local-ev-1.ics"
curl -sf -u "$AUTH" -X DELETE "${URL}contacts/easbridge/contacts/local-card-1.vcf"
rm -f "$(grep -l 'UID:remote-ev-1' "$CAL"/*)" "$(grep -l 'UID:remote-card-1' "$CARD"/*)"
ics keep-ev "Survivor" | remote_put calendars/easbridge/calendar/keep-ev.ics text/calendar
vcf keep-card "Survivor" >"$CARD/keep-card.vcf"
check "vdirsyncer sync after deletes" vds sync
check "calendars converge after deletes" converged "$CAL" calendars/easbridge/calendar/ keep-ev
check "contacts converge after deletes" converged "$CARD" contacts/easbridge/contacts/ keep-card
check "a second sync finds nothing to do" bash -c "vdirsyncer -c '$VD/config' sync </dev/null 2>&1 | tee /dev/stderr | grep -Eq 'Copying|Updating|Deleting' && exit 1 || exit 0"
