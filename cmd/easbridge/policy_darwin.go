package main

import (
	"os/exec"
	"strings"
)

// detectEncryption asks fdesetup whether FileVault is on; the state
// directory is on the boot volume in every default layout.
func detectEncryption(dir string) (bool, string) {
	out, err := exec.Command("fdesetup", "status").Output()
	if err != nil {
		return false, "could not tell: fdesetup status failed"
	}
	if strings.Contains(string(out), "FileVault is On") {
		return true, "FileVault"
	}
	return false, "FileVault is off"
}
