# shellcheck shell=bash
# Sourced inside a private mount namespace (unshare --mount): starts a real
# `systemd --user` with XDG_RUNTIME_DIR (exported by the caller), logging to
# $1, and stops it when the shell exits. Returns non-zero with the reason
# in MANAGER_ERR when the manager does not come up. Sets SD to its pid.
# Call it in the shell itself, not in $(...): the trap must be the shell's.
start_user_manager() {
	local log=$1
	# systemd refuses to run as a user manager unless the system looks
	# systemd-booted; in this namespace only, make it look so.
	mount -t tmpfs tmpfs /run/systemd 2>/dev/null || mkdir -p /run/systemd
	mkdir -p /run/systemd/system "$XDG_RUNTIME_DIR"
	chmod 700 "$XDG_RUNTIME_DIR"
	unset DBUS_SESSION_BUS_ADDRESS
	/lib/systemd/systemd --user >"$log" 2>&1 &
	SD=$!
	trap stop_user_manager EXIT
	for _ in $(seq 1 100); do [ -S "$XDG_RUNTIME_DIR/systemd/private" ] && break; sleep 0.1; done
	if ! systemctl --user is-system-running --wait >/dev/null 2>&1 && ! systemctl --user list-units >/dev/null 2>&1; then
		MANAGER_ERR="systemd --user did not come up: $(tail -5 "$log")"
		return 1
	fi
}

stop_user_manager() {
	kill "$SD" 2>/dev/null
	for _ in $(seq 1 50); do kill -0 "$SD" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$SD" 2>/dev/null
	wait "$SD" 2>/dev/null
}
