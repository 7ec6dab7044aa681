package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"gongkai"
	"gongkai/caseflow"
	"gongkai/staff"
	"gongkai/store"
	"gongkai/web"
	"gongkai/workday"
)

// App is gongkai wired together: the testable main (STYLE.md habit 12).
// New opens everything; Run serves until ctx ends; Close releases it all.
type App struct {
	Config Config
	Log    *slog.Logger
	DB     *store.DB
	Cal    *workday.Calendar
	Cases  *caseflow.Service
	Staff  *staff.Service
	Web    *web.Server

	// Notify delivers reminders to staff; nil until the outbox is wired.
	Notify caseflow.Notifier

	HTTPAddr string // actual listening address once Run has started
	SMTPAddr string

	httpLn net.Listener
	ready  chan struct{}
	// workers are started in order and stopped in reverse (STYLE.md habit 8).
	workers []worker
	// setups run after the core is built, to wire optional parts (intake, replies…).
	closers []func() error
}

// worker is a long-running part with an owner.
type worker struct {
	name string
	run  func(ctx context.Context) error
}

// appHooks let other files add parts to the App without editing New.
var appHooks []func(a *App) error

// NewApp opens the database and builds every service.
func NewApp(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	if log == nil {
		log = slog.Default()
	}
	db, err := store.Open(ctx, cfg["db"])
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Log: log, DB: db, ready: make(chan struct{})}
	a.closers = append(a.closers, db.Close)
	a.Cal, err = loadCalendar(ctx, db, cfg["calendar"])
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Cases = &caseflow.Service{DB: db, Cal: a.Cal, Log: log}
	a.Staff = &staff.Service{DB: db}
	a.Web = &web.Server{Cases: a.Cases, Staff: a.Staff, Log: log, Agency: cfg["agency"], FileRate: cfg.Int("file-rate"), Secure: cfg.Bool("secure-cookies"),
		TrustedProxies: splitList(cfg["trusted-proxies"])}
	if cfg.Bool("daily") {
		a.workers = append(a.workers, worker{"daily", func(ctx context.Context) error { return a.Cases.RunDailyWorker(ctx, a.Notify) }})
	}
	for _, h := range appHooks {
		if err := h(a); err != nil {
			a.Close()
			return nil, err
		}
	}
	return a, nil
}

// loadCalendar builds the working-day calendar: the shipped table, then an
// optional schedule file, then the days an admin entered.
func loadCalendar(ctx context.Context, db *store.DB, file string) (*workday.Calendar, error) {
	cal := workday.New()
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("calendar: %w", err)
		}
		defer f.Close()
		if err := cal.Load(f); err != nil {
			return nil, fmt.Errorf("calendar %s: %w", file, err)
		}
	}
	err := db.View(ctx, func(tx *store.Tx) error {
		days, years, err := tx.CalendarDays()
		if err != nil {
			return err
		}
		for _, y := range years {
			cal.MarkYearLoaded(y)
		}
		for _, d := range days {
			cal.SetDay(d.Date, d.Working, d.Name)
		}
		return nil
	})
	return cal, err
}

// EnsureAdmin creates the first admin from GONGKAI_ADMIN_PASSWORD, or tells
// how to create one, when the database has no users.
func (a *App) EnsureAdmin(ctx context.Context, out io.Writer) error {
	n, err := a.Staff.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	if pw := a.Config["admin-password"]; pw != "" {
		if _, err := a.Staff.AddUser(ctx, "admin", pw, []gongkai.Role{gongkai.RoleAdmin, gongkai.RoleRegistrar, gongkai.RoleApprover}, "办公室"); err != nil {
			return fmt.Errorf("create admin: %w", err)
		}
		fmt.Fprintln(out, "已创建管理员账户 admin（密码取自 GONGKAI_ADMIN_PASSWORD）。")
		return nil
	}
	fmt.Fprintf(out, "数据库中还没有工作人员账户。请先创建管理员：\n  echo '您的密码' | gongkai user add admin --role admin,registrar,approver --db %s\n或设置 GONGKAI_ADMIN_PASSWORD 后重新启动。\n", a.Config["db"])
	return nil
}

// Listen opens the HTTP listener (so that tests can use :0 and read the address).
func (a *App) Listen() error {
	ln, err := net.Listen("tcp", a.Config["http"])
	if err != nil {
		return fmt.Errorf("listen http %s: %w", a.Config["http"], err)
	}
	a.httpLn = ln
	a.HTTPAddr = ln.Addr().String()
	return nil
}

// Run serves HTTP and runs every worker until ctx ends, then shuts down.
func (a *App) Run(ctx context.Context) error {
	if a.httpLn == nil {
		if err := a.Listen(); err != nil {
			return err
		}
	}
	h, err := a.Web.Handler()
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, WriteTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, len(a.workers)+1)
	for _, w := range a.workers {
		wg.Add(1)
		go func(w worker) {
			defer wg.Done()
			if err := w.run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				a.Log.Error("worker stopped", "worker", w.name, "err", err)
				errc <- fmt.Errorf("%s: %w", w.name, err)
			}
		}(w)
	}
	go func() {
		if err := srv.Serve(a.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	}()
	a.Log.Info("gongkai serving", "http", "http://"+a.HTTPAddr, "smtp", a.SMTPAddr, "db", a.Config["db"])
	close(a.ready)
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	cancel()
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	srv.Shutdown(sctx)
	wg.Wait()
	return runErr
}

// Ready is closed once Run serves.
func (a *App) Ready() <-chan struct{} { return a.ready }

// Close releases everything in reverse order of opening.
func (a *App) Close() error {
	var errs []string
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil {
			errs = append(errs, err.Error())
		}
	}
	a.closers = nil
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}
