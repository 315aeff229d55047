package main

// What luakit adds to plain client/llb on purpose, applied here so both sides
// describe the same build (docs/api.md, docs/compatibility.md, docs/llb.md#dockerfile-conventions).
// Everything else in the cases is client/llb as it is.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"google.golang.org/protobuf/proto"
)

// Dockerfile's default PATH: luakit sets it on every exec whose image config has
// none (client/llb leaves it to the daemon unless marshalled with caps).
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// sh runs a string command the way Dockerfile's RUN shell form (and luakit) does.
func sh(cmd string) llb.RunOption {
	return llb.Args([]string{"/bin/sh", "-c", cmd})
}

// run is state:run: the default PATH first (when the state's env has none, as
// after Dockerfile's FROM), then the command and its options.
func run(st llb.State, opts ...llb.RunOption) llb.ExecState {
	if _, ok, _ := st.GetEnv(context.Background(), "PATH"); !ok {
		st = st.AddEnv("PATH", defaultPath)
	}
	return st.Run(opts...)
}

// cacheMount is bk.cache: Dockerfile's RUN --mount=type=cache id, "/" + (id or the
// cleaned target), so luakit and Dockerfile builds on one daemon share caches.
func cacheMount(dest, id string, sharing llb.CacheMountSharingMode) llb.RunOption {
	if id == "" {
		id = path.Clean(dest)
	}
	return llb.AddMount(dest, llb.Scratch(), llb.AsPersistentCacheDir("/"+id, sharing))
}

// secretMount is bk.secret: the id defaults to the target's base name, as in
// Dockerfile's RUN --mount=type=secret (llb's AddSecret defaults it to the target).
func secretMount(dest string, opts ...llb.SecretOption) llb.RunOption {
	return llb.AddSecret(dest, append([]llb.SecretOption{llb.SecretID(path.Base(dest))}, opts...)...)
}

// dockerCopy is state:copy's defaults: Dockerfile COPY's (create the destination,
// follow symlinks, copy a directory's contents, wildcards that may match nothing).
func dockerCopy() *llb.CopyInfo {
	return &llb.CopyInfo{
		FollowSymlinks:      true,
		CopyDirContentsOnly: true,
		CreateDestPath:      true,
		AllowWildcard:       true,
		AllowEmptyWildcard:  true,
	}
}

// local is bk.local_: llb.Local without the random local.unique attribute (and
// its cap) that llb adds to every local without a session. The daemon ignores
// it, and luakit leaves it out so that its output is the same on every run.
func local(name string, opts ...llb.LocalOption) llb.State {
	src := llb.Local(name, opts...)
	return llb.NewState(&withoutUnique{vertex: src.Output().Vertex(context.Background(), nil)})
}

type withoutUnique struct{ vertex llb.Vertex }

func (w *withoutUnique) Validate(ctx context.Context, c *llb.Constraints) error {
	return w.vertex.Validate(ctx, c)
}

func (w *withoutUnique) Marshal(ctx context.Context, c *llb.Constraints) (digest.Digest, []byte, *pb.OpMetadata, []*llb.SourceLocation, error) {
	_, data, md, locations, err := w.vertex.Marshal(ctx, c)
	if err != nil {
		return "", nil, nil, nil, err
	}
	var op pb.Op
	if err := proto.Unmarshal(data, &op); err != nil {
		return "", nil, nil, nil, err
	}
	delete(op.GetSource().Attrs, pb.AttrLocalUniqueID)
	md = proto.Clone(md).(*pb.OpMetadata)
	delete(md.Caps, string(pb.CapSourceLocalUnique))
	data, err = proto.MarshalOptions{Deterministic: true}.Marshal(&op) // as llb marshals ops
	if err != nil {
		return "", nil, nil, nil, err
	}
	return digest.FromBytes(data), data, md, locations, nil
}

func (w *withoutUnique) Output() llb.Output   { return w }
func (w *withoutUnique) Inputs() []llb.Output { return nil }

func (w *withoutUnique) ToInput(ctx context.Context, c *llb.Constraints) (*pb.Input, error) {
	dgst, _, _, _, err := w.Marshal(ctx, c)
	if err != nil {
		return nil, err
	}
	return &pb.Input{Digest: string(dgst), Index: 0}, nil
}

func (w *withoutUnique) Vertex(context.Context, *llb.Constraints) llb.Vertex { return w }

// ---------------------------------------------------------------- base image configs

// An image config as a registry would answer it, shared with the Lua side
// (tests/golden/images.json): the reference's manifest digest and its config.
type imageEntry struct {
	Digest string          `json:"digest"`
	Config json.RawMessage `json:"config"`
}

var images map[string]imageEntry

func loadImages(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, &images)
}

type fixedResolver struct{}

func (fixedResolver) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	entry, ok := images[ref]
	if !ok {
		return "", "", nil, fmt.Errorf("no image config for %s in the images file", ref)
	}
	return ref, digest.Digest(entry.Digest), entry.Config, nil
}

// resolvedImage is bk.image with a registry: like Dockerfile's FROM, the image is
// pinned to the digest whose config was read, later steps start from the config's
// env and working directory (llb's WithImageConfig) and its user, which
// WithImageConfig leaves out and Dockerfile applies.
func resolvedImage(ref string, opts ...llb.ImageOption) llb.State {
	st := llb.Image(ref, append([]llb.ImageOption{llb.WithMetaResolver(fixedResolver{}), llb.ResolveDigest(true)}, opts...)...)
	return st.Async(func(ctx context.Context, st llb.State, _ *llb.Constraints) (llb.State, error) {
		named, err := reference.ParseNormalizedNamed(ref)
		if err != nil {
			return llb.State{}, err
		}
		entry := images[reference.TagNameOnly(named).String()]
		var config struct {
			Config struct{ User string } `json:"config"`
		}
		if err := json.Unmarshal(entry.Config, &config); err != nil {
			return llb.State{}, err
		}
		if config.Config.User != "" {
			st = st.User(config.Config.User)
		}
		return st, nil
	})
}
