package maildir

import "testing"

func TestParseName(t *testing.T) {
	tests := []struct {
		name  string
		key   Key
		flags Flags
		extra string
		size  int64
		id    string
	}{
		{"1700.M1P2Q3R4.host,S=120,X=5%3A12:2,FS", "1700.M1P2Q3R4.host", Flagged | Seen, "", 120, "5%3A12"},
		{"1700.R95.vm:2,S", "1700.R95.vm", Seen, "", -1, ""},
		{"1700.R95.vm", "1700.R95.vm", 0, "", -1, ""},
		{"1700.x,S=10,W=12:2,Sab", "1700.x", Seen, "ab", 10, ""},
		{"1700.x:2,", "1700.x", 0, "", -1, ""},
		{"1700.x:1,experimental", "1700.x", 0, "", -1, ""},
		{"odd:2,DFPRSTZ", "odd", Draft | Flagged | Passed | Replied | Seen | Trashed, "Z", -1, ""},
	}
	for _, tt := range tests {
		fn := parseName(tt.name)
		if fn.key != tt.key || fn.flags != tt.flags || fn.extra != tt.extra || fn.size != tt.size || fn.id != tt.id {
			t.Errorf("parseName(%q) = %+v", tt.name, fn)
		}
		if got := fileNameOf(fn); got != tt.name {
			t.Errorf("fileNameOf(parseName(%q)) = %q", tt.name, got)
		}
	}
}

func TestWithFlags(t *testing.T) {
	tests := []struct {
		name  string
		flags Flags
		want  string
	}{
		{"k,S=1", Seen, "k,S=1:2,S"},
		{"k:2,Sa", Flagged | Seen, "k:2,FSa"},
		{"k:2,Sba", Replied, "k:2,Rab"},
		{"k:1,xyz", Seen, "k:2,S"},
		{"k:2,T", 0, "k:2,"},
	}
	for _, tt := range tests {
		if got := parseName(tt.name).withFlags(tt.flags); got != tt.want {
			t.Errorf("%q withFlags(%v) = %q, want %q", tt.name, tt.flags, got, tt.want)
		}
	}
}

func TestFlagsString(t *testing.T) {
	if got := (Trashed | Draft | Seen).String(); got != "DST" {
		t.Errorf("String = %q", got)
	}
	f, rest := ParseFlags("SzDa")
	if f != Seen|Draft || rest != "za" {
		t.Errorf("ParseFlags = %v %q", f, rest)
	}
}

func TestIDField(t *testing.T) {
	tests := []struct{ id, field string }{
		{"5:12", "5%3A12"},
		{"a,b/c.d%", "a%2Cb%2Fc%2Ed%25"},
		{"RgAAAAB-x_y", "RgAAAAB-x_y"},
	}
	for _, tt := range tests {
		if got := idField(tt.id); got != tt.field {
			t.Errorf("idField(%q) = %q, want %q", tt.id, got, tt.field)
		}
		if got := decodeID(tt.field); got != tt.id {
			t.Errorf("decodeID(%q) = %q", tt.field, got)
		}
	}
	long := string(make([]byte, 200))
	if f := idField(long); f[0] != '~' || len(f) > maxIDField || decodeID(f) != "" {
		t.Errorf("long id field %q", f)
	}
}

// FuzzParseName: any file name parses, and setting flags keeps its key
// and gives a name whose info is sorted.
func FuzzParseName(f *testing.F) {
	for _, s := range []string{"1.M2P3.h,S=5,X=a%3Ab:2,FS", "x", "x:2,", ":", ",,:2,zaS", "a,X=%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		fn := parseName(name)
		if fileNameOf(fn) != name {
			t.Fatalf("fileNameOf(parseName(%q)) = %q", name, fileNameOf(fn))
		}
		n2 := fn.withFlags(Seen | Flagged)
		fn2 := parseName(n2)
		if fn2.key != fn.key || fn2.flags != Seen|Flagged {
			t.Fatalf("withFlags(%q) = %q: key %q flags %v", name, n2, fn2.key, fn2.flags)
		}
		_ = decodeID(fn.id)
	})
}
