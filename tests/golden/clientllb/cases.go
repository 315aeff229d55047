package main

// The parity cases: each builds with client/llb the graph that
// tests/golden/cases/<name>.lua builds with luakit. The helpers of
// conventions.go apply what luakit does on purpose beyond plain llb; the rest
// is llb as a Go author would write it.

import (
	"net"
	"os"
	"strings"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

var cases = map[string]func() llb.State{
	// ------------------------------------------------------------ sources
	"image-names": func() llb.State {
		return llb.Merge([]llb.State{
			llb.Image("alpine"),
			llb.Image("ghcr.io/foo/bar"),
			llb.Image("alpine:3.19@sha256:" + strings.Repeat("a", 64)),
			llb.Image("library/busybox:1.36"),
			llb.Image("localhost:5000/app/x:dev"),
			llb.Image("debian:12"),
		})
	},
	"image-resolve-modes": func() llb.State {
		return llb.Merge([]llb.State{
			llb.Image("alpine:3.19", llb.ResolveModeForcePull),
			llb.Image("debian:12", llb.ResolveModePreferLocal),
			llb.Image("ubuntu:24.04", llb.ResolveModeDefault),
		})
	},
	"image-platform": func() llb.State {
		arm := llb.Image("alpine:3.19", llb.Platform(plat("linux/arm64")))
		armv7 := llb.Image("alpine:3.19", llb.Platform(plat("linux/arm/v7")))
		amd := llb.Image("alpine:3.19")
		return llb.Merge([]llb.State{
			run(arm, sh("uname -m > /arch")).Root().File(llb.Mkdir("/out", 0755)),
			run(armv7, sh("uname -m > /arch")).Root(),
			run(amd, sh("uname -m > /arch")).Root(),
			llb.Image("alpine:3.19", llb.Platform(plat("linux/arm64"))),
		})
	},
	"platform-variant": func() llb.State {
		base := llb.Image("alpine:3.19")
		st := run(base, sh("apk add --no-cache make")).Root().File(llb.Mkdir("/x", 0755))
		return run(st, sh("make -v")).Root()
	},
	"platform-arm64": func() llb.State {
		src := local("context")
		tool := llb.HTTP("https://example.com/tool.tgz")
		st := llb.Image("debian:12").
			File(copyFrom(src, ".", "/src")).
			File(copyFrom(tool, "tool.tgz", "/opt/"))
		return run(st, sh("ls /src /opt")).Root()
	},
	"local-plain": func() llb.State {
		return llb.Scratch().File(copyFrom(local("context"), ".", "/src"))
	},
	"local-options": func() llb.State {
		ctx := local("context",
			llb.IncludePatterns([]string{"*.go", "go.*", "cmd/**"}),
			llb.ExcludePatterns([]string{"vendor", "**/*_test.go"}),
			llb.SharedKeyHint("ctx"),
			llb.FollowPaths([]string{"cmd/app"}),
		)
		odd := local("odd", llb.ExcludePatterns([]string{"<tmp>", "a&b"}))
		one := local("one", llb.IncludePatterns([]string{"Makefile"}))
		return llb.Merge([]llb.State{ctx, odd, one})
	},
	"git-https": func() llb.State {
		return llb.Merge([]llb.State{
			llb.Git("https://github.com/moby/buildkit.git", "v0.32.2"),
			llb.Git("https://github.com/moby/buildkit.git", "main:docs",
				llb.KeepGitDir(), llb.GitChecksum("0123456789abcdef0123456789abcdef01234567")),
			llb.Git("https://github.com/moby/buildkit.git", ""),
		})
	},
	"git-url-forms": func() llb.State {
		return llb.Merge([]llb.State{
			llb.Git("github.com/moby/buildkit", ""),
			llb.Git("git://example.com/repo.git", "v1"),
			llb.Git("http://example.com/a/b.git", "dev:sub/dir"),
			llb.Git("https://example.com:8443/team/repo.git", "v2"),
		})
	},
	"git-url-trailing-slash": func() llb.State {
		return llb.Git("https://example.com/team/repo.git/", "main")
	},
	"git-ssh": func() llb.State {
		hosts := "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
		return llb.Merge([]llb.State{
			llb.Git("git@github.com:moby/buildkit.git", "main", llb.KnownSSHHosts(hosts)),
			llb.Git("ssh://git@example.com:2222/repo.git", "", llb.KnownSSHHosts(hosts), llb.MountSSHSock("deploy")),
		})
	},
	"git-auth": func() llb.State {
		return llb.Merge([]llb.State{
			llb.Git("https://example.com/private.git", "", llb.AuthTokenSecret("TOKEN"), llb.AuthHeaderSecret("HEADER")),
			llb.Git("https://example.com/mods.git", "main", llb.GitSkipSubmodules()),
		})
	},
	"http-options": func() llb.State {
		return llb.Merge([]llb.State{
			llb.HTTP("https://example.com/tool-1.0.tar.gz",
				llb.Checksum(digest.Digest("sha256:"+strings.Repeat("b", 64))),
				llb.Filename("tool.tgz"),
				llb.Chmod(0755),
				llb.Chown(1000, 1000),
				llb.Header(llb.HTTPHeader{Accept: "application/octet-stream", UserAgent: "luakit"}),
			),
			llb.HTTP("https://example.com/private/file", llb.AuthHeaderSecret("auth"), llb.Chmod(0644)),
			llb.HTTP("http://example.com/only-uid", llb.Chown(7, 0)),
		})
	},
	"http-plain": func() llb.State {
		tarball := llb.HTTP("https://example.com/a.tar.gz")
		return llb.Image("alpine:3.19").File(copyFrom(tarball, "a.tar.gz", "/tmp/a.tar.gz"))
	},
	"scratch": func() llb.State {
		s := llb.Scratch()
		file := s.File(llb.Mkfile("/hello", 0644, []byte("hi\n")))
		copied := llb.Image("alpine").File(copyFrom(s, "/", "/empty"))
		return llb.Merge([]llb.State{file, s, copied, llb.Diff(s, file)})
	},

	// ------------------------------------------------------------ run
	"run-commands": func() llb.State {
		base := llb.Image("alpine:3.19")
		st := run(base, sh("echo hi > /x")).Root()
		st = run(st, llb.Args([]string{"/bin/echo", "a b", "c"})).Root()
		return run(st, sh("set -e\nmake\nmake install")).Root()
	},
	"run-env-map": func() llb.State {
		base := llb.Image("alpine:3.19")
		// A Lua map is applied in sorted key order.
		st := run(base, sh("env"), llb.AddEnv("A", "1"), llb.AddEnv("B", "2"), llb.AddEnv("PATH", "/custom/bin")).Root()
		return run(st, sh("env"), llb.AddEnv("Z", "")).Root()
	},
	"run-env-list": func() llb.State {
		base := llb.Image("alpine:3.19")
		return run(base, sh("env"), llb.AddEnv("Z", "1"), llb.AddEnv("A", "2=two"), llb.AddEnv("Z", "3")).Root()
	},
	"run-cwd-user-hostname": func() llb.State {
		base := llb.Image("alpine:3.19")
		return llb.Merge([]llb.State{
			run(base, sh("pwd"), llb.Dir("/src/app"), llb.User("app:staff"), llb.Hostname("builder")).Root(),
			run(base, sh("pwd"), llb.Dir("sub/dir"), llb.User("1000")).Root(),
			run(base, sh("id"), llb.User("app:10")).Root(),
		})
	},
	"run-network-security": func() llb.State {
		base := llb.Image("alpine:3.19")
		return llb.Merge([]llb.State{
			run(base, sh("true"), llb.Network(pb.NetMode_NONE)).Root(),
			run(base, sh("true"), llb.Network(pb.NetMode_HOST), llb.Security(pb.SecurityMode_INSECURE)).Root(),
			run(base, sh("true"), llb.Network(pb.NetMode_UNSET), llb.Security(pb.SecurityMode_SANDBOX)).Root(),
		})
	},
	"run-limits-hosts-codes": func() llb.State {
		base := llb.Image("alpine:3.19")
		return llb.Merge([]llb.State{
			run(base, sh("exit 1"), llb.ValidExitCodes(0, 1)).Root(),
			run(base, sh("exit 2"), llb.ValidExitCodes(0, 1, 2, 3)).Root(),
			run(base, sh("exit 3"), llb.ValidExitCodes(3)).Root(),
			// Lua tables are read in sorted key order.
			run(base, sh("cat /etc/hosts"),
				llb.AddExtraHost("api.local", net.ParseIP("::1")),
				llb.AddExtraHost("db", net.ParseIP("10.0.0.2"))).Root(),
			run(base, sh("ulimit -a"),
				llb.AddUlimit(llb.UlimitNofile, 1024, 4096),
				llb.AddUlimit(llb.UlimitNproc, 512, 512)).Root(),
		})
	},
	"run-secret-env": func() llb.State {
		base := llb.Image("node:20")
		return run(base, sh("npm ci"),
			llb.AddSecretWithDest("npmrc", nil, llb.SecretAsEnvName("NPM_CONFIG"), llb.SecretOptional),
			llb.AddSecretWithDest("PLAIN", nil, llb.SecretAsEnvName("PLAIN")),
			llb.AddSecretWithDest("tok", nil, llb.SecretAsEnvName("TOKEN")),
		).Root()
	},
	"run-readonly-rootfs": func() llb.State {
		base := llb.Image("alpine:3.19")
		r := run(base, sh("echo hi > /out/hi"), llb.ReadonlyRootFS(), llb.AddMount("/out", llb.Scratch()))
		return r.GetMount("/out")
	},

	// ------------------------------------------------------------ mounts
	"mount-cache": func() llb.State {
		base := llb.Image("golang:1.22")
		return run(base, sh("go build ./..."), llb.Dir("/src"),
			cacheMount("/root/.cache/go-build", "", llb.CacheMountShared),
			cacheMount("/go/pkg/mod", "gomod", llb.CacheMountLocked),
			cacheMount("/src/var/cache/apt", "var/cache/apt", llb.CacheMountPrivate),
			cacheMount("/tmp/shared", "", llb.CacheMountShared),
		).Root()
	},
	"mount-secret": func() llb.State {
		base := llb.Image("alpine:3.19")
		return run(base, sh("cat /run/secrets/npmrc /root/.aws/credentials"),
			secretMount("/run/secrets/npmrc"),
			llb.AddSecret("/root/.aws/credentials", llb.SecretID("aws"), llb.SecretFileOpt(1000, 1000, 0440), llb.SecretOptional),
		).Root()
	},
	"mount-ssh": func() llb.State {
		base := llb.Image("alpine:3.19")
		return llb.Merge([]llb.State{
			run(base, sh("ssh-add -l"), llb.AddSSHSocket()).Root(),
			run(base, sh("ssh-add -l"),
				llb.AddSSHSocket(llb.SSHID("github"), llb.SSHSocketOpt("/run/gh.sock", 1000, 1000, 0660), llb.SSHOptional),
				llb.AddSSHSocket(llb.SSHID("other")),
			).Root(),
		})
	},
	"mount-bind-tmpfs": func() llb.State {
		base := llb.Image("alpine:3.19")
		ctx := local("context")
		tools := llb.Image("busybox:1.36")
		r := run(base, sh("make"), llb.Dir("/work"),
			llb.AddMount("/src", ctx, llb.SourcePath("sub/dir"), llb.Readonly),
			llb.AddMount("/tools", tools, llb.Readonly),
			llb.AddMount("/work/out", llb.Scratch()),
			llb.AddMount("/base-rw", base),
			llb.AddMount("/tmp", llb.Scratch(), llb.Tmpfs(llb.TmpfsSize(64*1024*1024))),
			llb.AddMount("/scratch", llb.Scratch(), llb.Tmpfs()),
		)
		return llb.Merge([]llb.State{r.Root(), r.GetMount("/work/out"), r.GetMount("/base-rw")})
	},
	"mount-everything": func() llb.State {
		base := llb.Image("alpine:3.19")
		ctx := local("context")
		return run(base, sh("make"), llb.AddEnv("CI", "1"),
			llb.AddSSHSocket(),
			secretMount("/run/secrets/a"),
			cacheMount("/c", "", llb.CacheMountLocked),
			llb.AddMount("/t", llb.Scratch(), llb.Tmpfs(llb.TmpfsSize(1024))),
			llb.AddMount("/ctx", ctx, llb.SourcePath("sub"), llb.Readonly),
			llb.AddSecret("/run/secrets/b", llb.SecretID("bee")),
			llb.AddSecretWithDest("tok", nil, llb.SecretAsEnvName("TOKEN")),
		).Root()
	},

	// ------------------------------------------------------------ file ops
	"mkdir-options": func() llb.State {
		return llb.Image("alpine:3.19").
			File(llb.Mkdir("/a", 0755)).
			File(llb.Mkdir("/b/c", 0700, llb.WithParents(true), llb.WithUser("app:app"))).
			File(llb.Mkdir("rel/dir", 0755, llb.WithParents(true))).
			File(llb.Mkdir("/d", 0755, llb.WithUser("1000"))).
			File(llb.Mkdir("/e", 0755, llb.WithUser("1000:staff"))).
			// ":staff" names only the group (Dockerfile's --chown=:staff).
			File(llb.Mkdir("/f", 0755, llb.ChownOpt{Group: &llb.UserOpt{Name: "staff"}})).
			File(llb.Mkdir("/g", 0700, llb.WithUser("0:0"))).
			File(llb.Mkdir("/h/../i/./j", 0755))
	},
	"file-owner-root": func() llb.State {
		return llb.Image("alpine:3.19").
			File(llb.Mkdir("/srv", 0755, llb.WithUser("root:root"))).
			File(llb.Mkfile("/srv/x", 0644, nil, llb.WithUser("root")))
	},
	"mkfile-options": func() llb.State {
		return llb.Image("alpine:3.19").
			File(llb.Mkfile("/etc/app.conf", 0644, []byte("key=value\n"))).
			File(llb.Mkfile("/etc/secret", 0600, []byte("s"), llb.WithUser("app:app"))).
			File(llb.Mkfile("bin.dat", 0644, []byte{0, 1, 255})).
			File(llb.Mkfile("/empty", 0644, nil)).
			File(llb.Mkfile("/big", 0444, []byte(strings.Repeat("x", 70000)), llb.WithUser("1000")))
	},
	"rm-options": func() llb.State {
		return llb.Image("alpine:3.19").
			File(llb.Rm("/tmp/x")).
			File(llb.Rm("/var/cache/apk/*", llb.WithAllowWildcard(true), llb.WithAllowNotFound(true))).
			File(llb.Rm("rel/file", llb.WithAllowNotFound(true)))
	},
	"symlink": func() llb.State {
		return llb.Image("python:3.12-slim").
			File(llb.Symlink("/usr/local/bin/python3", "/usr/local/bin/py")).
			File(llb.Symlink("../lib/libx.so.1", "/opt/lib/libx.so", llb.WithUser("app"))).
			File(llb.Symlink("target", "/link", llb.WithUser("1000:1000")))
	},
	"copy-paths": func() llb.State {
		ctx := local("context")
		return llb.Image("alpine:3.19").
			File(copyFrom(ctx, "src/", "/app/")).
			File(copyFrom(ctx, "*.json", "/app/")).
			File(copyFrom(ctx, "README.md", "docs")).
			File(copyFrom(ctx, ".", "/out/")).
			File(copyFrom(ctx, "./a/../b", "/x/y")).
			File(copyFrom(ctx, "/abs/path", "."))
	},
	"copy-options": func() llb.State {
		ctx := local("context")
		return llb.Image("alpine:3.19").
			File(copyFrom(ctx, "bin/tool", "/usr/local/bin/tool", mode(0755))).
			File(copyFrom(ctx, "bin/suid", "/usr/local/bin/suid", mode(04755), owner("0:0"))).
			File(copyFrom(ctx, "app", "/app", owner("1000:1000"))).
			File(copyFrom(ctx, "app", "/app2", owner("app:staff"))).
			File(copyFrom(ctx, "link", "/link", func(c *llb.CopyInfo) { c.FollowSymlinks = false })).
			File(copyFrom(ctx, "dir", "/dir", func(c *llb.CopyInfo) { c.CopyDirContentsOnly, c.CreateDestPath = false, false })).
			File(copyFrom(ctx, "*.txt", "/txt/", func(c *llb.CopyInfo) { c.AllowWildcard, c.AllowEmptyWildcard = false, false })).
			File(copyFrom(ctx, ".", "/go/", func(c *llb.CopyInfo) {
				c.IncludePatterns = []string{"*.go", "go.mod"}
				c.ExcludePatterns = []string{"*_test.go"}
			}))
	},
	"copy-sources": func() llb.State {
		golang := llb.Image("golang:1.22")
		base := llb.Image("alpine:3.19")
		built := run(golang, sh("go build -o /out/app .")).Root()
		return llb.Merge([]llb.State{
			base.File(copyFrom(golang, "/usr/local/go/bin/go", "/usr/bin/go")),
			llb.Scratch().File(copyFrom(built, "/out/app", "/app", owner("app"))),
			base.File(copyFrom(llb.Scratch(), "/", "/nothing")),
			llb.Scratch().File(copyFrom(base, "/etc/os-release", "/")),
		})
	},

	// ------------------------------------------------------------ graph
	"merge": func() llb.State {
		a := llb.Image("alpine:3.19")
		b := run(a, sh("apk add git")).Root()
		c := a.File(llb.Mkdir("/c", 0755))
		return llb.Merge([]llb.State{
			llb.Merge([]llb.State{a, b, c}),
			llb.Merge([]llb.State{c, llb.Scratch(), b}),
			llb.Merge([]llb.State{b, b}),
			llb.Merge([]llb.State{llb.Scratch(), c}),
		})
	},
	"diff": func() llb.State {
		base := llb.Image("alpine:3.19")
		installed := run(base, sh("apk add --no-cache curl")).Root()
		changes := llb.Diff(base, installed)
		other := llb.Image("debian:12")
		return llb.Merge([]llb.State{
			llb.Merge([]llb.State{other, changes}),
			llb.Diff(installed, llb.Scratch()),
			llb.Diff(llb.Scratch(), installed),
			llb.Diff(changes, changes.File(llb.Mkdir("/x", 0755))),
		})
	},
	"with-metadata": func() llb.State {
		base := llb.Image("alpine:3.19")
		built := run(base, sh("make"), llb.WithCustomName("compile"), llb.ProgressGroup("build", "build", false)).Root()
		tested := run(built, sh("make test"), llb.IgnoreCache, llb.ProgressGroup("build", "build", false)).Root()
		return tested.File(llb.Mkfile("/notes", 0644, []byte("n")), llb.WithCustomName("write notes"))
	},

	// ------------------------------------------------------------ builds as people write them
	"multistage-go": func() llb.State {
		builder := llb.Image("golang:1.22-alpine")
		mods := local("context", llb.IncludePatterns([]string{"go.mod", "go.sum"}))
		src := local("context", llb.ExcludePatterns([]string{".git", "bin"}))
		gomod := cacheMount("/go/pkg/mod", "gomod", llb.CacheMountShared)
		deps := run(builder.File(copyFrom(mods, ".", "/app/")), sh("go mod download"), llb.Dir("/app"), gomod).Root()
		built := run(deps.File(copyFrom(src, ".", "/app/")),
			llb.Args([]string{"go", "build", "-ldflags=-s -w", "-o", "/out/server", "./cmd/server"}),
			llb.Dir("/app"),
			llb.AddEnv("CGO_ENABLED", "0"), llb.AddEnv("GOARCH", "amd64"), llb.AddEnv("GOOS", "linux"),
			gomod, cacheMount("/root/.cache/go-build", "gobuild", llb.CacheMountShared),
		).Root()
		return llb.Image("gcr.io/distroless/static-debian12").File(copyFrom(built, "/out/server", "/server", mode(0755)))
	},
	"multistage-node": func() llb.State {
		node := llb.Image("node:20-bookworm")
		manifests := local("context", llb.IncludePatterns([]string{"package.json", "package-lock.json"}))
		deps := run(node.File(copyFrom(manifests, ".", "/app/")), sh("npm ci"),
			llb.Dir("/app"), llb.AddEnv("NODE_ENV", "development"),
			cacheMount("/root/.npm", "", llb.CacheMountLocked),
			llb.AddSecret("/root/.npmrc", llb.SecretID("npmrc")),
		).Root()
		src := local("context", llb.ExcludePatterns([]string{"node_modules", "dist"}))
		built := run(deps.File(copyFrom(src, ".", "/app/")), sh("npm run build"), llb.Dir("/app")).Root()
		prod := run(built, sh("npm prune --omit=dev"), llb.Dir("/app"), llb.AddEnv("NODE_ENV", "production")).Root()
		return llb.Image("node:20-slim").
			File(llb.Mkdir("/app", 0755, llb.WithUser("node:node"))).
			File(copyFrom(prod, "/app/node_modules", "/app/node_modules", owner("node:node"))).
			File(copyFrom(built, "/app/dist", "/app/dist", owner("node:node"))).
			File(copyFrom(src, "package.json", "/app/package.json"))
	},
	"multistage-python": func() llb.State {
		py := llb.Image("python:3.12")
		reqs := local("context", llb.IncludePatterns([]string{"requirements.txt"}))
		venv := run(py, sh("python -m venv /opt/venv")).Root()
		deps := run(venv.File(copyFrom(reqs, "requirements.txt", "/tmp/requirements.txt")),
			sh("/opt/venv/bin/pip install -r /tmp/requirements.txt"),
			llb.AddEnv("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
			cacheMount("/root/.cache/pip", "", llb.CacheMountShared), llb.AddSSHSocket(),
		).Root()
		src := local("context", llb.IncludePatterns([]string{"app/**", "pyproject.toml"}))
		installed := run(deps.File(copyFrom(src, ".", "/src/")), sh("/opt/venv/bin/pip install --no-deps /src"),
			cacheMount("/root/.cache/pip", "", llb.CacheMountShared)).Root()
		slim := run(llb.Image("python:3.12-slim"), sh("useradd --create-home app")).Root()
		return slim.
			File(copyFrom(installed, "/opt/venv", "/opt/venv")).
			File(llb.Rm("/opt/venv/bin/pip*", llb.WithAllowWildcard(true)))
	},
	"image-config": func() llb.State {
		goimg := resolvedImage("golang:1.22.12")
		built := run(goimg, sh("go build ./..."), llb.Dir("src"), llb.AddEnv("CGO_ENABLED", "0")).Root()
		st := built.File(llb.Mkdir("out", 0755)).File(copyFrom(built, "src/app", "out/"))
		return run(st, sh("ls"), llb.User("root")).Root()
	},
	"image-config-no-path": func() llb.State {
		base := resolvedImage("example.com/base:1")
		return run(base, sh("env"), llb.AddEnv("EXTRA", "1")).Root()
	},
}

// copyFrom is state:copy with its Dockerfile COPY defaults, then the script's options.
func copyFrom(src llb.State, from, to string, opts ...func(*llb.CopyInfo)) *llb.FileAction {
	info := dockerCopy()
	for _, o := range opts {
		o(info)
	}
	return llb.Copy(src, from, to, info)
}

func mode(m uint32) func(*llb.CopyInfo) {
	return func(c *llb.CopyInfo) { c.Mode = &llb.ChmodOpt{Mode: os.FileMode(m)} }
}

func owner(user string) func(*llb.CopyInfo) {
	return func(c *llb.CopyInfo) { llb.WithUser(user).SetCopyOption(c) }
}

func plat(s string) ocispecs.Platform {
	return platforms.Normalize(platforms.MustParse(s))
}
