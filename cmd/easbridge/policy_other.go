//go:build !linux && !darwin

package main

// detectEncryption assumes no encryption where easbridge cannot tell.
func detectEncryption(dir string) (bool, string) {
	return false, "easbridge cannot detect disk encryption on this system, so it assumes none"
}
