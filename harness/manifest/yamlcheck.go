package manifest

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// position is where a field is in the manifest file.
type position struct{ line, col int }

// checker walks a YAML document alongside the Go type it will be decoded
// into, so every unknown field and wrong type is reported with its line and
// its path (routes.login, accounts[1].password), and all of them at once.
type checker struct {
	file      string
	errs      []string
	positions map[string]position
}

func (c *checker) errorf(n *yaml.Node, path, format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf("%s:%d:%d: %s: %s", c.file, n.Line, n.Column, displayPath(path), fmt.Sprintf(format, args...)))
}

func displayPath(path string) string {
	if path == "" {
		return "(document)"
	}
	return path
}

// unmarshalerType is implemented by fields that parse themselves
// (Duration, Command).
var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func (c *checker) walk(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	c.positions[path] = position{n.Line, n.Column}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an explicit null leaves the default
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			c.errorf(n, path, "%s", cleanYAMLError(err))
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		c.walk(n, t.Elem(), path)
	case reflect.Struct:
		c.walkStruct(n, t, path)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			c.errorf(n, path, "expected a mapping, got %s", kindName(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			c.walk(v, t.Elem(), join(path, k.Value))
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			c.errorf(n, path, "expected a list, got %s", kindName(n))
			return
		}
		for i, item := range n.Content {
			c.walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	default:
		if n.Kind != yaml.ScalarNode {
			c.errorf(n, path, "expected %s, got %s", typeName(t), kindName(n))
			return
		}
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			c.errorf(n, path, "expected %s, got %q", typeName(t), n.Value)
		}
	}
}

func (c *checker) walkStruct(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.MappingNode {
		c.errorf(n, path, "expected a mapping, got %s", kindName(n))
		return
	}
	fields := map[string]reflect.Type{}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		fields[name] = f.Type
		names = append(names, name)
	}
	slices.Sort(names)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ft, ok := fields[k.Value]
		switch {
		case !ok:
			c.errorf(k, join(path, k.Value), "unknown field (known: %s)", strings.Join(names, ", "))
		case seen[k.Value]:
			c.errorf(k, join(path, k.Value), "given twice")
		default:
			c.walk(v, ft, join(path, k.Value))
		}
		seen[k.Value] = true
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint16:
		return "a whole number"
	case reflect.String:
		return "a string"
	}
	return t.String()
}

// cleanYAMLError drops the "yaml: unmarshal errors:\n  line N: " wrapping;
// the checker prints its own position.
func cleanYAMLError(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); strings.HasPrefix(msg, "yaml:") && i >= 0 {
		return msg[i+2:]
	}
	return msg
}
