package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// detectEncryption looks for fscrypt on dir itself, then for a dm-crypt
// (LUKS or plain) device under the file system that holds dir, following
// device-mapper stacks (LVM on LUKS). Anything else, such as ZFS or
// eCryptfs, is reported as not encrypted: the conservative answer.
func detectEncryption(dir string) (bool, string) {
	dir = existingParent(dir)
	if fscryptEncrypted(dir) {
		return true, "fscrypt"
	}
	dev, fstype, err := mountSource(dir)
	if err != nil {
		return false, "could not tell: " + err.Error()
	}
	if fstype == "ecryptfs" {
		return true, "eCryptfs"
	}
	if name, ok := dmCrypt(dev); ok {
		return true, "dm-crypt device " + name
	}
	return false, fmt.Sprintf("%s file system on %s, no dm-crypt/LUKS or fscrypt found", fstype, devName(dev))
}

// existingParent is dir or its nearest existing ancestor.
func existingParent(dir string) string {
	dir, _ = filepath.Abs(dir)
	for {
		if _, err := os.Stat(dir); err == nil || dir == filepath.Dir(dir) {
			return dir
		}
		dir = filepath.Dir(dir)
	}
}

// fscryptEncrypted asks the kernel for dir's encryption policy
// (FS_IOC_GET_ENCRYPTION_POLICY_EX); ENODATA means none.
func fscryptEncrypted(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	var arg struct {
		size   uint64
		policy [24]byte
	}
	arg.size = uint64(len(arg.policy))
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.FS_IOC_GET_ENCRYPTION_POLICY_EX, uintptr(unsafe.Pointer(&arg)))
	return errno == 0
}

// mountSource finds the source device and type of the mount holding dir
// in /proc/self/mountinfo (the longest mount point that prefixes dir).
func mountSource(dir string) (string, string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	best, dev, fstype := "", "", ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mountpoint opts... - fstype source superopts
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, tail := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 5 || len(tail) < 2 {
			continue
		}
		mp := unescapeMount(fields[4])
		if !within(dir, mp) || len(mp) < len(best) {
			continue
		}
		best, fstype, dev = mp, tail[0], "/sys/dev/block/"+fields[2]
	}
	if best == "" {
		return "", "", errors.New("no mount point found")
	}
	return dev, fstype, nil
}

func within(dir, mp string) bool {
	return mp == "/" || dir == mp || strings.HasPrefix(dir, mp+"/")
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var c byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &c); err == nil {
				b.WriteByte(c)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// dmCrypt reports whether the block device at sys (a /sys/dev/block
// path) is a dm-crypt target or sits on one, up to a few levels down.
func dmCrypt(sys string) (string, bool) {
	for depth := 0; depth < 8; depth++ {
		uuid, err := os.ReadFile(filepath.Join(sys, "dm", "uuid"))
		if err != nil {
			return "", false
		}
		if strings.HasPrefix(string(uuid), "CRYPT-") {
			name, _ := os.ReadFile(filepath.Join(sys, "dm", "name"))
			return strings.TrimSpace(string(name)), true
		}
		slaves, _ := filepath.Glob(filepath.Join(sys, "slaves", "*"))
		if len(slaves) != 1 {
			for _, s := range slaves {
				if name, ok := dmCrypt(s); ok {
					return name, true
				}
			}
			return "", false
		}
		sys = slaves[0]
	}
	return "", false
}

// devName is the /dev name of a /sys/dev/block device, or the sys path.
func devName(sys string) string {
	if p, err := filepath.EvalSymlinks(sys); err == nil {
		return "/dev/" + filepath.Base(p)
	}
	return sys
}
