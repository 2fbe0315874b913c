// pulumi-language-nodejs stand-in: the Node.js language host of the Pulumi release is published as a
// Go module the module proxy here does not serve (see README, "The engine"), so this host implements the
// LanguageRuntime RPCs the CLI calls for this repository's programs and policy pack. The program itself is
// run by the @pulumi/pulumi npm package's own `cmd/run`, `cmd/run-policy-pack` and `cmd/run-plugin`,
// exactly as the released host runs them.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"google.golang.org/grpc"
	pbempty "google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Version is stamped at build time with the release this host stands in for.
var Version = "0.0.0-unstamped"

// Exit code with which @pulumi/pulumi's runners say they already reported the error to the user.
const exitAfterLoggedError = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

func main() {
	args := []string{}
	for _, a := range os.Args[1:] {
		if !strings.HasPrefix(a, "-") {
			args = append(args, a)
		}
	}
	h := &host{}
	if len(args) > 0 {
		h.engineAddress = args[len(args)-1]
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: cannot listen: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.engineAddress = req.EngineAddress
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *pbempty.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

// Providers are found on demand from each registration's package and version, on PATH or in the plugin cache.
func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

// Dependencies are installed by the repository's `npm ci`; nothing to do per program.
func (h *host) InstallDependencies(*pulumirpc.InstallDependenciesRequest, grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	return nil
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	out, err := exec.Command("node", "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("node --version: %w", err)
	}
	return &pulumirpc.AboutResponse{Executable: "node", Version: strings.TrimSpace(string(out))}, nil
}

func (h *host) GetProgramDependencies(context.Context, *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func option(info *pulumirpc.ProgramInfo, name string) (string, bool) {
	if info == nil || info.Options == nil {
		return "", false
	}
	v, ok := info.Options.Fields[name]
	if !ok {
		return "", false
	}
	return fmt.Sprint(v.AsInterface()), true
}

// resolveRunner finds a runner script of @pulumi/pulumi the way node would from the program's folder.
func resolveRunner(dir, module string) (string, error) {
	cmd := exec.Command("node", "-p", "require.resolve("+strconv.Quote(module)+")")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("cannot resolve %s from %s (is npm ci done?): %w", module, dir, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func programEnv(info *pulumirpc.ProgramInfo) []string {
	env := os.Environ()
	ts := "true"
	if v, ok := option(info, "typescript"); ok {
		ts = v
	}
	env = append(env, "PULUMI_NODEJS_TYPESCRIPT="+ts)
	if v, ok := option(info, "tsconfig"); ok && v != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+v)
	}
	return env
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.Info
	dir, entry := req.Pwd, req.Program
	if info != nil {
		dir, entry = info.ProgramDirectory, info.EntryPoint
	}
	if entry == "" {
		entry = "."
	}
	runner, err := resolveRunner(dir, "@pulumi/pulumi/cmd/run")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	args := []string{runner, "--monitor=" + req.MonitorAddress, "--engine=" + h.engineAddress,
		"--project=" + req.Project, "--stack=" + req.Stack, "--pwd=" + dir,
		"--parallel=" + strconv.Itoa(int(req.Parallel))}
	if req.Organization != "" {
		args = append(args, "--organization="+req.Organization)
	}
	if info != nil && info.RootDirectory != "" {
		args = append(args, "--root-directory="+info.RootDirectory)
	}
	if req.DryRun {
		args = append(args, "--dry-run")
	}
	args = append(args, entry)
	args = append(args, req.Args...)

	config, err := json.Marshal(req.Config)
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(req.ConfigSecretKeys)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = dir
	cmd.Env = append(programEnv(info), "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		if code, ok := exitCode(err); ok {
			if code == exitAfterLoggedError {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}, nil
		}
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

func exitCode(err error) (int, bool) {
	exit, ok := err.(*exec.ExitError)
	if !ok {
		return 0, false
	}
	if status, ok := exit.Sys().(syscall.WaitStatus); ok {
		return status.ExitStatus(), true
	}
	return exit.ExitCode(), true
}

type streamWriter struct {
	send func(b []byte) error
}

func (w streamWriter) Write(b []byte) (int, error) {
	c := make([]byte, len(b))
	copy(c, b)
	if err := w.send(c); err != nil {
		return 0, err
	}
	return len(b), nil
}

// RunPlugin runs a Node.js plugin folder: a policy pack (kind "analyzer") or a provider.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]) error {
	info := req.Info
	dir := req.Pwd
	if info != nil && info.ProgramDirectory != "" {
		dir = info.ProgramDirectory
	}
	module := "@pulumi/pulumi/cmd/run-plugin"
	if req.Kind == "analyzer" {
		module = "@pulumi/pulumi/cmd/run-policy-pack"
	}
	runner, err := resolveRunner(dir, module)
	if err != nil {
		return err
	}
	args := append([]string{runner}, req.Args...)
	args = append(args, filepath.Clean(dir))
	cmd := exec.CommandContext(server.Context(), "node", args...)
	// A plugin runs in its own folder: @pulumi/policy reads the pack's package.json from the working directory.
	cmd.Dir = dir
	cmd.Env = append(programEnv(info), req.Env...)
	cmd.Stdout = streamWriter{send: func(b []byte) error {
		return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}})
	}}
	cmd.Stderr = streamWriter{send: func(b []byte) error {
		return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}})
	}}
	code := 0
	if err := cmd.Run(); err != nil {
		c, ok := exitCode(err)
		if !ok {
			return err
		}
		code = c
	}
	return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
}
