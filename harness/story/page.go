package story

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// Page is what an HTML page offers the story: its forms and its <meta>
// tags, read with a real HTML parser (attribute values come decoded:
// &amp; is &, &#43; is +).
type Page struct {
	Forms []Form
	Metas map[string]string // name -> content
	IDs   []string          // every element id
}

// Form is one <form>.
type Form struct {
	Action, Method string
	Inputs         []Input
}

// Input is a named control of a form.
type Input struct{ Name, Type, Value string }

// ParsePage reads an HTML page; a page that is not HTML yields an empty
// Page.
func ParsePage(body string) Page {
	p := Page{Metas: map[string]string{}}
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return p
	}
	var walk func(n *html.Node, form int)
	walk = func(n *html.Node, form int) {
		if n.Type == html.ElementNode {
			if id := attr(n, "id"); id != "" {
				p.IDs = append(p.IDs, id)
			}
			switch n.Data {
			case "form":
				p.Forms = append(p.Forms, Form{Action: attr(n, "action"), Method: strings.ToUpper(attr(n, "method"))})
				form = len(p.Forms) - 1
			case "meta":
				if name := attr(n, "name"); name != "" {
					p.Metas[name] = attr(n, "content")
				}
			case "input", "select", "textarea", "button":
				if form >= 0 {
					f := &p.Forms[form]
					f.Inputs = append(f.Inputs, Input{Name: attr(n, "name"), Type: strings.ToLower(attr(n, "type")), Value: attr(n, "value")})
				}
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch, form)
		}
	}
	walk(doc, -1)
	return p
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// LoginForm is the form with a password input, else the first form.
func (p Page) LoginForm() (Form, bool) {
	for _, f := range p.Forms {
		if slices.ContainsFunc(f.Inputs, func(in Input) bool { return in.Type == "password" }) {
			return f, true
		}
	}
	if len(p.Forms) > 0 {
		return p.Forms[0], true
	}
	return Form{}, false
}

// Field returns the first input of the form named name.
func (f Form) Field(name string) (Input, bool) {
	for _, in := range f.Inputs {
		if in.Name == name {
			return in, true
		}
	}
	return Input{}, false
}

// Names lists the form's input names, once each.
func (f Form) Names() []string {
	var n []string
	for _, in := range f.Inputs {
		if in.Name != "" && !slices.Contains(n, in.Name) {
			n = append(n, in.Name)
		}
	}
	return n
}

// Hidden returns the first non-empty value of an input named name in any
// of the page's forms: a page with a login and a logout form carries the
// same token in both.
func (p Page) Hidden(name string) (string, bool) {
	for _, f := range p.Forms {
		if in, ok := f.Field(name); ok && in.Value != "" {
			return in.Value, true
		}
	}
	return "", false
}

// jsonText is the value at a dotted path (user.name, items.0.email) of a
// JSON document, as text ("" when the document is not JSON or has no such
// path). A string is itself; anything else its JSON.
func jsonText(body, path string) string {
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		return ""
	}
	for _, key := range strings.Split(path, ".") {
		switch node := v.(type) {
		case map[string]any:
			v = node[key]
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(node) {
				return ""
			}
			v = node[i]
		default:
			return ""
		}
	}
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	out, _ := json.Marshal(v)
	return string(out)
}

var (
	scriptsAndTags = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]*>`)
	spaces         = regexp.MustCompile(`\s+`)
)

// Excerpt is the visible text of a page, decoded and cut to n bytes,
// quoted: enough of an error page to recognise it in a message.
func Excerpt(body string, n int) string {
	s := strings.TrimSpace(spaces.ReplaceAllString(html.UnescapeString(scriptsAndTags.ReplaceAllString(body, " ")), " "))
	if len(s) > n {
		s = s[:n] + "..."
	}
	return strconv.Quote(s)
}
