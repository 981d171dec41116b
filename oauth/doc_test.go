package oauth

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryExportedNameHasADocComment keeps STYLE.md's rule: the package
// and each exported declaration carry a doc comment.
func TestEveryExportedNameHasADocComment(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	hasPkgDoc := false
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		hasPkgDoc = hasPkgDoc || f.Doc != nil
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Name.IsExported() && d.Doc == nil {
					t.Errorf("%s: func %s lacks a doc comment", fset.Position(d.Pos()), d.Name)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					var names []*ast.Ident
					documented := d.Doc != nil
					switch s := spec.(type) {
					case *ast.TypeSpec:
						names, documented = []*ast.Ident{s.Name}, documented || s.Doc != nil
					case *ast.ValueSpec:
						names, documented = s.Names, documented || s.Doc != nil || s.Comment != nil
					}
					for _, n := range names {
						if n.IsExported() && !documented {
							t.Errorf("%s: %s lacks a doc comment", fset.Position(n.Pos()), n)
						}
					}
				}
			}
		}
	}
	if !hasPkgDoc {
		t.Error("package oauth lacks its package comment")
	}
}
