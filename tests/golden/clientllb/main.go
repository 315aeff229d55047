// Command clientllb marshals the parity cases with BuildKit's own client/llb, so
// tests/golden/test_client_llb_parity.py can compare luakit's op digests with
// the ones BuildKit's Go client produces for the same graphs.
//
// It reads a JSON case list on stdin, [{"name": "...", "platform": "os/arch[/variant]"}],
// and prints {"<name>": {"definition": "<base64 pb.Definition>"} | {"error": "..."}}.
// `clientllb -list` prints the names of the cases it knows. `-images FILE` names
// the JSON file of base image configs that the image-config cases resolve.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
	"google.golang.org/protobuf/proto"
)

type request struct {
	Name     string `json:"name"`
	Platform string `json:"platform"`
}

type result struct {
	Definition string `json:"definition,omitempty"`
	Error      string `json:"error,omitempty"`
}

func main() {
	list := flag.Bool("list", false, "print the names of the cases")
	imagesPath := flag.String("images", "", "JSON file of base image configs (tests/golden/images.json)")
	flag.Parse()

	if *list {
		names := make([]string, 0, len(cases))
		for name := range cases {
			names = append(names, name)
		}
		sort.Strings(names)
		writeJSON(names)
		return
	}
	if *imagesPath != "" {
		if err := loadImages(*imagesPath); err != nil {
			fail(err)
		}
	}
	var requests []request
	if err := json.NewDecoder(os.Stdin).Decode(&requests); err != nil {
		fail(fmt.Errorf("reading the case list: %w", err))
	}
	out := map[string]result{}
	for _, r := range requests {
		data, err := marshalCase(r)
		if err != nil {
			out[r.Name] = result{Error: err.Error()}
			continue
		}
		out[r.Name] = result{Definition: base64.StdEncoding.EncodeToString(data)}
	}
	writeJSON(out)
}

func marshalCase(r request) ([]byte, error) {
	build, ok := cases[r.Name]
	if !ok {
		return nil, fmt.Errorf("no Go case named %q", r.Name)
	}
	platform, err := platforms.Parse(r.Platform)
	if err != nil {
		return nil, err
	}
	platform = platforms.Normalize(platform)
	// luakit's --platform: the target platform of every image and exec without one of its own.
	def, err := build().Marshal(context.Background(), llb.Platform(platform))
	if err != nil {
		return nil, err
	}
	return proto.Marshal(def.ToPB())
}

func writeJSON(v any) {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "clientllb:", err)
	os.Exit(1)
}
