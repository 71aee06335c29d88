// Package schemacheck validates results.json files against the schema
// the project publishes, docs/results.schema.json, so that the tests of
// every writer (the results package, a suite run, `sessionconf run`)
// hold the files to the document users code against. Tests only: it
// reads the schema from the source tree.
package schemacheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Path is docs/results.schema.json in the source tree this package was
// built from.
func Path() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "docs", "results.schema.json")
}

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat() // "started" must really be a date-time
	return c.Compile(Path())
})

// Schema is the compiled schema.
func Schema() (*jsonschema.Schema, error) { return compiled() }

// Validate checks a results.json file against the schema; the error
// names every violation with its place in the file.
func Validate(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return ValidateBytes(data)
}

// ValidateBytes is Validate of a document in memory.
func ValidateBytes(data []byte) error {
	sch, err := Schema()
	if err != nil {
		return fmt.Errorf("the schema does not compile: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return sch.Validate(doc)
}

// Properties returns the property names the schema declares at a JSON
// pointer into the schema document ("" is the top level,
// "/$defs/result" a result), and which of them it requires.
func Properties(pointer string) (props, required []string, err error) {
	data, err := os.ReadFile(Path())
	if err != nil {
		return nil, nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, err
	}
	node := any(doc)
	for _, part := range splitPointer(pointer) {
		m, ok := node.(map[string]any)
		if !ok {
			return nil, nil, fmt.Errorf("%s: %q is not an object", pointer, part)
		}
		if node, ok = m[part]; !ok {
			return nil, nil, fmt.Errorf("%s: no %q", pointer, part)
		}
	}
	obj, _ := node.(map[string]any)
	if ap, _ := obj["additionalProperties"].(bool); ap || obj["additionalProperties"] == nil {
		return nil, nil, fmt.Errorf("%s does not forbid additional properties, so a field missing from it would pass", pointer)
	}
	ps, _ := obj["properties"].(map[string]any)
	for name := range ps {
		props = append(props, name)
	}
	rs, _ := obj["required"].([]any)
	for _, r := range rs {
		required = append(required, r.(string))
	}
	return props, required, nil
}

func splitPointer(p string) []string {
	var out []string
	for _, part := range bytes.Split([]byte(p), []byte("/")) {
		if len(part) > 0 {
			out = append(out, string(part))
		}
	}
	return out
}
