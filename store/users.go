package store

import (
	"fmt"
	"strings"
	"time"

	"gongkai"
)

const userCols = `id, username, display_name, roles, department, active`

func scanUser(s scanner) (*gongkai.User, string, error) {
	var u gongkai.User
	var roles, hash string
	var active int
	if err := s.Scan(&u.ID, &u.Username, &u.DisplayName, &roles, &u.Department, &active, &hash); err != nil {
		return nil, "", err
	}
	u.Roles = gongkai.ParseRoles(roles)
	u.Active = active != 0
	return &u, hash, nil
}

// CreateUser inserts a staff account with an already hashed password.
func (tx *Tx) CreateUser(u *gongkai.User, passwordHash string) error {
	res, err := tx.exec(`INSERT INTO users (username, display_name, password_hash, roles, department, active, created_at) VALUES (?, ?, ?, ?, ?, 1, ?)`,
		u.Username, u.DisplayName, passwordHash, gongkai.RolesString(u.Roles), u.Department, ts(tx.Now))
	if err != nil {
		if isUnique(err) {
			return gongkai.Errorf(gongkai.EConflict, "用户名 %s 已存在", u.Username)
		}
		return fmt.Errorf("store: create user %s: %w", u.Username, err)
	}
	u.ID, _ = res.LastInsertId()
	u.Active = true
	return nil
}

// UpdateUser writes roles, department, display name and the active flag.
func (tx *Tx) UpdateUser(u *gongkai.User) error {
	_, err := tx.exec(`UPDATE users SET display_name=?, roles=?, department=?, active=? WHERE id=?`,
		u.DisplayName, gongkai.RolesString(u.Roles), u.Department, b2i(u.Active), u.ID)
	if err != nil {
		return fmt.Errorf("store: update user %s: %w", u.Username, err)
	}
	return nil
}

// SetPassword replaces a user's password hash and ends the user's sessions.
func (tx *Tx) SetPassword(userID int64, hash string) error {
	if _, err := tx.exec(`UPDATE users SET password_hash=? WHERE id=?`, hash, userID); err != nil {
		return fmt.Errorf("store: set password: %w", err)
	}
	if _, err := tx.exec(`DELETE FROM sessions WHERE user_id=?`, userID); err != nil {
		return fmt.Errorf("store: end sessions: %w", err)
	}
	return nil
}

// UserByUsername returns a user and its password hash.
func (tx *Tx) UserByUsername(name string) (*gongkai.User, string, error) {
	u, h, err := scanUser(tx.queryRow(`SELECT `+userCols+`, password_hash FROM users WHERE username = ?`, name))
	if err != nil {
		return nil, "", notFound(err, "用户")
	}
	return u, h, nil
}

// Users lists all staff accounts.
func (tx *Tx) Users() ([]*gongkai.User, error) {
	rows, err := tx.query(`SELECT ` + userCols + `, '' FROM users ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	defer rows.Close()
	var out []*gongkai.User
	for rows.Next() {
		u, _, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan user: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CountUsers counts staff accounts.
func (tx *Tx) CountUsers() (int, error) {
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count users: %w", err)
	}
	return n, nil
}

// CreateSession stores a login session by the hash of its token.
func (tx *Tx) CreateSession(tokenHash string, userID int64, csrf string, expires time.Time) error {
	_, err := tx.exec(`INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		tokenHash, userID, csrf, ts(tx.Now), ts(expires))
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// SessionUser returns the active user of an unexpired session and its CSRF token.
func (tx *Tx) SessionUser(tokenHash string) (*gongkai.User, string, error) {
	var csrf string
	var u gongkai.User
	var roles, expires string
	var active int
	err := tx.queryRow(`SELECT u.id, u.username, u.display_name, u.roles, u.department, u.active, s.csrf, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`, tokenHash).
		Scan(&u.ID, &u.Username, &u.DisplayName, &roles, &u.Department, &active, &csrf, &expires)
	if err != nil {
		return nil, "", notFound(err, "会话")
	}
	if active == 0 || parseTS(expires).Before(tx.Now) {
		return nil, "", gongkai.ErrNotFound
	}
	u.Roles = gongkai.ParseRoles(roles)
	u.Active = true
	return &u, csrf, nil
}

// DeleteSession ends a session; expired ones are swept on the way.
func (tx *Tx) DeleteSession(tokenHash string) error {
	if _, err := tx.exec(`DELETE FROM sessions WHERE token_hash = ? OR expires_at < ?`, tokenHash, ts(tx.Now)); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}
