# python3-caldav: discovery, calendars, time-range searches (recurring
# with an overridden and a deleted occurrence, all-day, edges), todos,
# and CardDAV over plain HTTP. Each line of its output is one check.
# Sourced by interop/dav.sh.
/usr/bin/python3 -u "$HERE/caldav_check.py" "$URL" easbridge "${AUTH#easbridge:}" >"$T/caldav.out" 2>&1
while IFS= read -r line; do
	case $line in
	"ok   "*) pass "caldav: ${line#ok   }" ;;
	"FAIL "*) fail "caldav: ${line#FAIL }" ;;
	*) echo "     $line" ;;
	esac
done <"$T/caldav.out"
