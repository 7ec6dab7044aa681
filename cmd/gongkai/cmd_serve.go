package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"
)

func init() { commands["serve"] = cmdServe }

func cmdServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", "", "配置文件（key = value，每行一项）")
	flags := map[string]*string{}
	for _, o := range Options {
		if o.Secret {
			continue // secrets only from the file or the environment, never argv
		}
		flags[o.Key] = fs.String(o.Key, "", o.Help+"（环境变量 "+o.Env+"）")
	}
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	cfg, err := LoadConfig(*configFile)
	if err != nil {
		return usagef("%v", err)
	}
	fs.Visit(func(f *flag.Flag) {
		if p, ok := flags[f.Name]; ok {
			cfg[f.Name] = *p
		}
	})
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	tuneGC()
	// GONGKAI_CPUPROFILE=FILE writes a CPU profile of the whole run (for load tests).
	if f := os.Getenv("GONGKAI_CPUPROFILE"); f != "" {
		out, err := os.Create(f)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(out); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer func() { pprof.StopCPUProfile(); out.Close() }()
	}
	app, err := NewApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	if err := app.EnsureAdmin(ctx, stdout); err != nil {
		return err
	}
	return app.Run(ctx)
}

// tuneGC trades memory the server has for less collecting: intake allocates
// a message's worth of garbage for every message parsed, and with the
// default GOGC the collector took ~6% of the CPU under load. A soft limit
// keeps the heap well under the 200 MB intake budget (issue 4). GOGC and
// GOMEMLIMIT in the environment win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(128 << 20)
	}
}
