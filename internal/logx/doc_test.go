package logx

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocComments fails when a package or exported name of easbridge's
// service and secret packages lacks its doc comment.
func TestDocComments(t *testing.T) {
	for _, dir := range []string{".", "../../secret", "../../systemd", "../../launchd"} {
		fset := token.NewFileSet()
		pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool {
			return !strings.HasSuffix(fi.Name(), "_test.go")
		}, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkgs {
			hasDoc := false
			for name, f := range p.Files {
				if f.Doc != nil {
					hasDoc = true
				}
				for _, d := range f.Decls {
					checkDecl(t, filepath.Join(dir, filepath.Base(name)), d)
				}
			}
			if !hasDoc {
				t.Errorf("package %s in %s has no doc comment", p.Name, dir)
			}
		}
	}
}

func checkDecl(t *testing.T, file string, d ast.Decl) {
	switch d := d.(type) {
	case *ast.FuncDecl:
		if d.Name.IsExported() && d.Doc == nil && (d.Recv == nil || exportedRecv(d.Recv)) {
			t.Errorf("%s: %s has no doc comment", file, d.Name.Name)
		}
	case *ast.GenDecl:
		for _, s := range d.Specs {
			var names []*ast.Ident
			var doc *ast.CommentGroup
			switch s := s.(type) {
			case *ast.TypeSpec:
				names, doc = []*ast.Ident{s.Name}, s.Doc
			case *ast.ValueSpec:
				names, doc = s.Names, s.Doc
			}
			for _, n := range names {
				if n.IsExported() && doc == nil && d.Doc == nil {
					t.Errorf("%s: %s has no doc comment", file, n.Name)
				}
			}
		}
	}
}

func exportedRecv(fl *ast.FieldList) bool {
	typ := fl.List[0].Type
	if s, ok := typ.(*ast.StarExpr); ok {
		typ = s.X
	}
	id, ok := typ.(*ast.Ident)
	return ok && id.IsExported()
}
