package main

import (
	"fmt"
	"os"

	"gongkai/staff"
	"gongkai/store"
	"gongkai/workday"
)

func staffService(db *store.DB) *staff.Service { return &staff.Service{DB: db} }

func calendarFromFile(file string) (*workday.Calendar, error) {
	cal := workday.New()
	if file == "" {
		return cal, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	defer f.Close()
	if err := cal.Load(f); err != nil {
		return nil, fmt.Errorf("calendar %s: %w", file, err)
	}
	return cal, nil
}
