package deploy

import (
	"go/ast"
	goparser "go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	"github.com/stretchr/testify/require"
)

// runtimeCopySources lists everything a runtime stage may copy from a build
// stage: the two binaries and, for a scratch base, the CA bundle.
var runtimeCopySources = []string{
	"/out/relay",
	"/out/gatewaysim",
	"/etc/ssl/certs/ca-certificates.crt",
}

// secretName matches ENV and ARG names that would bake a secret into an
// image layer or its history.
var secretName = regexp.MustCompile(`(?i)secret|password|passwd|token|credential|private|(^|_)key($|_)`)

// dockerfile is a parsed Dockerfile with its stages' base images resolved.
type dockerfile struct {
	stages   []instructions.Stage
	metaArgs []instructions.ArgCommand
	// bases maps each stage index to the external image it starts from,
	// following FROM <stage> references back to the first image.
	bases []string
}

func parseDockerfile(t *testing.T, path string) dockerfile {
	t.Helper()

	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()

	result, err := parser.Parse(f)
	require.NoError(t, err, "parse %s", path)
	stages, metaArgs, err := instructions.Parse(result.AST, nil)
	require.NoError(t, err, "read the instructions of %s", path)

	args := metaArgDefaults(metaArgs)
	lex := shell.NewLex(result.EscapeToken)
	df := dockerfile{stages: stages, metaArgs: metaArgs, bases: make([]string, len(stages))}
	for i, stage := range stages {
		base, _, err := lex.ProcessWord(stage.BaseName, args)
		require.NoError(t, err, "expand the base image of stage %d", i)
		if j := df.stageIndex(base, i); j >= 0 {
			base = df.bases[j]
		}
		df.bases[i] = base
	}
	return df
}

// stageIndex returns the index of the stage named name defined before
// stage before, or -1 when name is an image rather than a stage.
func (df dockerfile) stageIndex(name string, before int) int {
	for i := range before {
		if strings.EqualFold(df.stages[i].Name, name) {
			return i
		}
	}
	return -1
}

func (df dockerfile) final() (instructions.Stage, string) {
	last := len(df.stages) - 1
	return df.stages[last], df.bases[last]
}

func isGoImage(image string) bool {
	name := strings.SplitN(image, ":", 2)[0]
	return name == "golang" || strings.HasSuffix(name, "/golang")
}

// metaArgs is the shell.EnvGetter of the ARGs declared before the first FROM.
type metaArgs map[string]string

func (m metaArgs) Get(key string) (string, bool) {
	v, ok := m[key]
	return v, ok
}

func (m metaArgs) Keys() []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

func metaArgDefaults(cmds []instructions.ArgCommand) metaArgs {
	args := metaArgs{}
	for _, cmd := range cmds {
		for _, arg := range cmd.Args {
			args[arg.Key] = arg.ValueString()
		}
	}
	return args
}

func commandsOf[T instructions.Command](stage instructions.Stage) []T {
	var found []T
	for _, cmd := range stage.Commands {
		if c, ok := cmd.(T); ok {
			found = append(found, c)
		}
	}
	return found
}

func TestDockerfileStages(t *testing.T) {
	df := parseDockerfile(t, "../Dockerfile")
	require.GreaterOrEqual(t, len(df.stages), 2, "a multi-stage build keeps the Go toolchain out of the image")

	final, base := df.final()
	require.False(t, isGoImage(base), "final stage %q starts from %s, a Go toolchain image", final.Name, base)
	require.True(t, base == "scratch" || strings.HasPrefix(base, "gcr.io/distroless/static"),
		"final stage starts from %s; expected scratch or a distroless static image", base)
}

func TestDockerfileBuildStage(t *testing.T) {
	df := parseDockerfile(t, "../Dockerfile")

	var build string
	for i, stage := range df.stages {
		if !isGoImage(df.bases[i]) {
			continue
		}
		for _, run := range commandsOf[*instructions.RunCommand](stage) {
			if line := strings.Join(run.CmdLine, " "); strings.Contains(line, "./cmd/relay") {
				build = line
			}
		}
	}
	require.NotEmpty(t, build, "no RUN in a golang stage builds ./cmd/relay")
	require.Contains(t, build, "-trimpath")
	require.Contains(t, build, "-X main.version=${VERSION}", "the version is stamped at build time")
	require.Contains(t, build, "-s -w")
}

func TestDockerfileFinalStageUser(t *testing.T) {
	final, _ := parseDockerfile(t, "../Dockerfile").final()

	users := commandsOf[*instructions.UserCommand](final)
	require.NotEmpty(t, users, "the final stage sets no USER, so the relay would run as root")
	user := users[len(users)-1].User

	uid, _, _ := strings.Cut(user, ":")
	n, err := strconv.Atoi(uid)
	require.NoError(t, err, "USER %q is not numeric, so Kubernetes cannot verify runAsNonRoot", user)
	require.NotZero(t, n, "USER %q is root", user)
}

func TestDockerfileFinalStageRuntime(t *testing.T) {
	final, _ := parseDockerfile(t, "../Dockerfile").final()

	var ports []string
	for _, expose := range commandsOf[*instructions.ExposeCommand](final) {
		ports = append(ports, expose.Ports...)
	}
	require.Contains(t, ports, "9090")
	require.Contains(t, ports, "9091")

	checks := commandsOf[*instructions.HealthCheckCommand](final)
	require.Len(t, checks, 1)
	require.Equal(t, []string{"CMD", "/relay", "healthcheck"}, checks[0].Health.Test)

	entrypoints := commandsOf[*instructions.EntrypointCommand](final)
	require.Len(t, entrypoints, 1)
	require.False(t, entrypoints[0].PrependShell, "ENTRYPOINT must use the exec form")
	require.Equal(t, []string{"/relay"}, entrypoints[0].CmdLine)
}

func TestDockerfileRuntimeCopies(t *testing.T) {
	df := parseDockerfile(t, "../Dockerfile")

	for i, stage := range df.stages {
		if isGoImage(df.bases[i]) {
			continue
		}
		require.Empty(t, commandsOf[*instructions.AddCommand](stage), "stage %q uses ADD", stage.Name)
		for _, cp := range commandsOf[*instructions.CopyCommand](stage) {
			require.NotEmpty(t, cp.From, "stage %q copies from the build context: %v", stage.Name, cp.SourcePaths)
			for _, src := range cp.SourcePaths {
				require.Contains(t, runtimeCopySources, src, "stage %q copies %s", stage.Name, src)
			}
		}
	}
}

func TestDockerfileNoRemoteAdd(t *testing.T) {
	df := parseDockerfile(t, "../Dockerfile")

	for _, stage := range df.stages {
		for _, add := range commandsOf[*instructions.AddCommand](stage) {
			for _, src := range add.SourcePaths {
				require.NotContains(t, src, "://", "stage %q ADDs a remote source", stage.Name)
				require.False(t, strings.HasPrefix(src, "git@"), "stage %q ADDs a git source", stage.Name)
			}
		}
	}
}

func TestDockerfileNoSecretVariables(t *testing.T) {
	df := parseDockerfile(t, "../Dockerfile")

	var names []string
	for _, cmd := range df.metaArgs {
		for _, arg := range cmd.Args {
			names = append(names, arg.Key)
		}
	}
	for _, stage := range df.stages {
		for _, arg := range commandsOf[*instructions.ArgCommand](stage) {
			for _, a := range arg.Args {
				names = append(names, a.Key)
			}
		}
		for _, env := range commandsOf[*instructions.EnvCommand](stage) {
			for _, kv := range env.Env {
				names = append(names, kv.Key)
			}
		}
	}
	require.NotEmpty(t, names)
	for _, name := range names {
		require.False(t, secretName.MatchString(name), "ENV or ARG %s looks like a secret", name)
	}
}

func TestDockerfileVersionVariable(t *testing.T) {
	files, err := filepath.Glob("../cmd/relay/*.go")
	require.NoError(t, err)
	files = slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, "_test.go") })
	require.NotEmpty(t, files, "cmd/relay has no Go files to find the version variable in")

	// The linker's -X flag sets only a package-level string variable and
	// silently ignores a name that does not exist, so check the name here.
	found := false
	fset := token.NewFileSet()
	for _, file := range files {
		f, err := goparser.ParseFile(fset, file, nil, goparser.SkipObjectResolution)
		require.NoError(t, err)
		require.Equal(t, "main", f.Name.Name)
		if declaresStringVar(f, "version") {
			found = true
		}
	}
	require.True(t, found, "cmd/relay declares no package-level string variable version for -X main.version")
}

func declaresStringVar(f *ast.File, name string) bool {
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.VAR {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			if ident, ok := vs.Type.(*ast.Ident); vs.Type != nil && (!ok || ident.Name != "string") {
				continue
			}
			for _, n := range vs.Names {
				if n.Name == name {
					return true
				}
			}
		}
	}
	return false
}

func TestDeclaresStringVar(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want bool
	}{
		{name: "untyped", src: `var version = "dev"`, want: true},
		{name: "typed", src: `var version string`, want: true},
		{name: "grouped", src: "var (\n\tn int\n\tversion string\n)", want: true},
		{name: "other type", src: `var version int`, want: false},
		{name: "constant", src: `const version = "dev"`, want: false},
		{name: "other name", src: `var appVersion = "dev"`, want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := goparser.ParseFile(token.NewFileSet(), "main.go", "package main\n"+tc.src, 0)
			require.NoError(t, err)
			require.Equal(t, tc.want, declaresStringVar(f, "version"))
		})
	}
}

func TestDockerignore(t *testing.T) {
	f, err := os.Open("../.dockerignore")
	require.NoError(t, err)
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	require.NoError(t, err)
	matcher, err := patternmatcher.New(patterns)
	require.NoError(t, err)

	tests := []struct {
		path     string
		excluded bool
	}{
		{path: ".git/config", excluded: true},
		{path: "relay/store/testdata/redis.conf", excluded: true},
		{path: "api/testdata/fuzz/FuzzToken/seed", excluded: true},
		{path: "api/token_test.go", excluded: true},
		{path: "docs/benchmarks.md", excluded: true},
		{path: "deploy/k8s/secret.example.yaml", excluded: true},
		{path: "scripts/test.sh", excluded: true},
		{path: ".ci/run", excluded: true},
		{path: "relay.env", excluded: true},
		{path: "go.mod", excluded: false},
		{path: "go.sum", excluded: false},
		{path: "cmd/relay/main.go", excluded: false},
		{path: "api/token.go", excluded: false},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			excluded, err := matcher.MatchesOrParentMatches(tc.path)
			require.NoError(t, err)
			require.Equal(t, tc.excluded, excluded)
		})
	}
}
