package maildir

import (
	"errors"
	"slices"
	"testing"
)

func TestFolderOf(t *testing.T) {
	tests := []struct {
		path []string
		want Folder
	}{
		{nil, Inbox},
		{[]string{"Archive"}, ".Archive"},
		{[]string{"Projects", "Q1"}, ".Projects.Q1"},
		{[]string{"Café"}, ".Caf&AOk-"},
		{[]string{"v1.2 release"}, `.v1\2e2 release`},
		{[]string{"A/B"}, `.A\2fB`},
		{[]string{`back\slash`}, `.back\5cslash`},
		{[]string{"R&D"}, ".R&-D"},
		{[]string{"日本語"}, ".&ZeVnLIqe-"},
		{[]string{"Émoji 😀."}, `.&AMk-moji &2D3eAA-\2e`},
		{[]string{"tab\there"}, ".tab&AAk-here"},
		{[]string{"~x", "y"}, ".~x.y"},
	}
	for _, tt := range tests {
		got, err := FolderOf(tt.path...)
		if err != nil || got != tt.want {
			t.Errorf("FolderOf(%q) = %q, %v; want %q", tt.path, got, err, tt.want)
			continue
		}
		back, err := got.Path()
		if err != nil || !slices.Equal(back, tt.path) {
			t.Errorf("%q.Path() = %q, %v; want %q", got, back, err, tt.path)
		}
	}
}

func TestFolderOfRejects(t *testing.T) {
	for _, p := range [][]string{{""}, {"a", ""}, {"\xff"}, {string(make([]byte, 300))}} {
		if _, err := FolderOf(p...); !errors.Is(err, ErrBadName) {
			t.Errorf("FolderOf(%q) error = %v, want ErrBadName", p, err)
		}
	}
}

// Directories made by hand or by other tools still decode.
func TestFolderPathLenient(t *testing.T) {
	tests := []struct {
		dir     Folder
		want    []string
		wantErr bool
	}{
		{".Café", []string{"Café"}, false}, // raw UTF-8 made by hand
		{".a&b", []string{"a&b"}, true},    // unterminated
		{".a&@@-b", []string{"a&@@-b"}, true},
		{".a..b", []string{"a", "", "b"}, false},
		{"noDot", []string{"noDot"}, true},
	}
	for _, tt := range tests {
		got, err := tt.dir.Path()
		if !slices.Equal(got, tt.want) || (err != nil) != tt.wantErr {
			t.Errorf("%q.Path() = %q, %v; want %q, error %v", tt.dir, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFolderParentString(t *testing.T) {
	f, _ := FolderOf("A.b", "C")
	if got := f.Parent(); got != `.A\2eb` {
		t.Errorf("Parent = %q", got)
	}
	if got := f.String(); got != "A.b/C" {
		t.Errorf("String = %q", got)
	}
	if Inbox.String() != "INBOX" || Folder(".X").Parent() != Inbox {
		t.Error("INBOX naming")
	}
}

// FuzzFolderName: every valid path maps to a directory name that is one
// path element, and back.
func FuzzFolderName(f *testing.F) {
	for _, s := range []string{"Inbox", "a.b/c", "Café", "😀", "&", `\2e`, "&-", "x&AOk-"} {
		f.Add(s, "child")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		dir, err := FolderOf(a, b)
		if err != nil {
			return
		}
		for i := 0; i < len(dir); i++ {
			if dir[i] == '/' || dir[i] == 0 || dir[i] >= 0x80 {
				t.Fatalf("FolderOf(%q,%q) = %q has byte %#x", a, b, dir, dir[i])
			}
		}
		back, err := dir.Path()
		if err != nil || !slices.Equal(back, []string{a, b}) {
			t.Fatalf("round trip %q -> %q -> %q, %v", []string{a, b}, dir, back, err)
		}
		_, _ = Folder("." + a).Path() // any directory name decodes without panic
	})
}
