# litmus basic, copymove and props against a calendar home. Every failure
# must be listed, with its reason, in interop/dav/litmus-expected.
# Sourced by interop/dav.sh.
for suite in basic copymove props; do
	# litmus writes debug.log and child.log into its working directory.
	(cd "$T" && TESTS=$suite timeout 300 litmus "${URL}calendars/easbridge/" easbridge "${AUTH#easbridge:}") >"$T/litmus-$suite.out" 2>&1
	mapfile -t fails < <(grep -oE '[0-9]+\. [a-z0-9_]+\.+ FAIL' "$T/litmus-$suite.out" | awk '{print $2}' | tr -d . | sort -u)
	summary=$(grep -E "^<- summary for \`$suite'" "$T/litmus-$suite.out")
	[ -n "$summary" ] || { fail "litmus $suite ran"; tail -5 "$T/litmus-$suite.out"; continue; }
	echo "     $summary"
	unexpected=0
	for test in "${fails[@]}"; do
		reason=$(awk -v s="$suite" -v t="$test" '$1 == s && $2 == t { $1 = ""; $2 = ""; sub(/^  /, ""); print }' "$HERE/litmus-expected")
		if [ -n "$reason" ]; then
			echo "     litmus $suite $test: expected failure ($reason)"
		else
			unexpected=$((unexpected + 1))
			echo "     litmus $suite $test: UNEXPECTED: $(grep -E "\. $test\.+ FAIL" "$T/litmus-$suite.out" | head -1)"
		fi
	done
	if [ "$unexpected" -eq 0 ]; then pass "litmus $suite (failures all deliberate limits)"; else fail "litmus $suite: $unexpected unexpected failures"; fi
done
