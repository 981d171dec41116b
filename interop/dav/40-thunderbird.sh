# The discovery and polling requests Thunderbird sends when a network
# calendar is added (its CalDAV detector, then the calendar provider's
# resource-type check, server capabilities, principal lookup, ctag poll,
# sync-collection and multiget), replayed with curl. Every property asked
# for must be answered; those Thunderbird relies on must be 200.
# Sourced by interop/dav.sh.
TB=$T/thunderbird
mkdir -p "$TB"
XMLNS='xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/" xmlns:A="http://apple.com/ns/ical/"'

# tb_propfind NAME DEPTH PATH PROPS MUST200...: PROPFIND with the props.
tb_propfind() {
	local name=$1 depth=$2 path=$3 props=$4; shift 4
	printf '<?xml version="1.0" encoding="UTF-8"?>\n<D:propfind %s><D:prop>%s</D:prop></D:propfind>\n' "$XMLNS" "$props" >"$TB/req.xml"
	check "thunderbird: $name" bash -c "curl -sf -u '$AUTH' -X PROPFIND -H 'Depth: $depth' -H 'Content-Type: application/xml; charset=utf-8' \
		--data-binary @'$TB/req.xml' '${URL}${path}' | /usr/bin/python3 '$HERE/propcheck.py' '$TB/req.xml' $*"
}

# Detector: the URL the user typed (the server root), then the principal,
# then the home set.
tb_propfind "detect at the root" 0 "" \
	'<D:resourcetype/><D:displayname/><D:current-user-principal/><D:current-user-privilege-set/><A:calendar-color/><C:calendar-home-set/>' \
	d:resourcetype d:current-user-principal
check "thunderbird: .well-known/caldav redirects to the principal" bash -c \
	"curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -u '$AUTH' -X PROPFIND -H 'Depth: 0' '${URL}.well-known/caldav' | grep -Eq '^30[1278] .*/principals/easbridge/'"
tb_propfind "principal" 0 principals/easbridge/ \
	'<D:resourcetype/><D:displayname/><D:current-user-principal/><C:calendar-home-set/><C:calendar-user-address-set/><C:schedule-inbox-URL/><C:schedule-outbox-URL/>' \
	d:resourcetype d:current-user-principal c:calendar-home-set
tb_propfind "home set, depth 1" 1 calendars/easbridge/ \
	'<D:resourcetype/><D:displayname/><D:current-user-privilege-set/><A:calendar-color/><C:supported-calendar-component-set/><CS:getctag/>' \
	d:resourcetype
# The calendar provider, once the calendar is added.
tb_propfind "calendar resource type check" 0 calendars/easbridge/calendar/ \
	'<D:resourcetype/><D:owner/><D:current-user-principal/><D:current-user-privilege-set/><D:supported-report-set/><C:supported-calendar-component-set/><CS:getctag/>' \
	d:resourcetype d:current-user-principal d:current-user-privilege-set d:supported-report-set c:supported-calendar-component-set cs:getctag
check "thunderbird: OPTIONS on the calendar" bash -c \
	"curl -sf -o /dev/null -D - -u '$AUTH' -X OPTIONS '${URL}calendars/easbridge/calendar/' | tr -d '\r' | grep -i '^dav:' | grep -q 'calendar-access'"
tb_propfind "principal namespace lookup" 0 principals/easbridge/ \
	'<C:calendar-home-set/><C:calendar-user-address-set/><C:schedule-inbox-URL/><C:schedule-outbox-URL/>' \
	c:calendar-home-set
tb_propfind "ctag poll" 0 calendars/easbridge/calendar/ '<CS:getctag/><D:sync-token/>' cs:getctag d:sync-token
tb_propfind "item list fallback" 1 calendars/easbridge/calendar/ '<D:getcontenttype/><D:resourcetype/><D:getetag/>' d:resourcetype

# A change made by Thunderbird: PUT with If-None-Match, then the sync.
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN\r\nBEGIN:VEVENT\r\nUID:tb-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260501T090000Z\r\nDTEND:20260501T100000Z\r\nSUMMARY:From Thunderbird\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' >"$TB/ev.ics"
check "thunderbird: PUT with If-None-Match * gives 201 and an ETag" bash -c \
	"curl -s -D - -o /dev/null -u '$AUTH' -X PUT -H 'If-None-Match: *' -H 'Content-Type: text/calendar; charset=utf-8' --data-binary @'$TB/ev.ics' '${URL}calendars/easbridge/calendar/tb-1.ics' | tr -d '\r' | grep -E '^HTTP/1.1 201|^[Ee][Tt]ag: \"' | wc -l | grep -qx 2"
cat >"$TB/sync.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<D:sync-collection $XMLNS><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getcontenttype/><D:getetag/></D:prop></D:sync-collection>
XML
check "thunderbird: sync-collection lists the new item with its etag and a token" bash -c \
	"curl -sf -u '$AUTH' -X REPORT -H 'Depth: 1' -H 'Content-Type: application/xml' --data-binary @'$TB/sync.xml' '${URL}calendars/easbridge/calendar/' | tee '$TB/sync.out' | grep -q 'tb-1.ics' && grep -q 'getetag>' '$TB/sync.out' && grep -q 'sync-token>urn:' '$TB/sync.out'"
cat >"$TB/multiget.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<C:calendar-multiget $XMLNS><D:prop><D:getetag/><C:calendar-data/></D:prop><D:href>/calendars/easbridge/calendar/tb-1.ics</D:href></C:calendar-multiget>
XML
check "thunderbird: calendar-multiget returns the data" bash -c \
	"curl -sf -u '$AUTH' -X REPORT -H 'Depth: 1' -H 'Content-Type: application/xml' --data-binary @'$TB/multiget.xml' '${URL}calendars/easbridge/calendar/' | grep -q 'SUMMARY:From Thunderbird'"
