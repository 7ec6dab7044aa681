package replies

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// The relay side of the Sender: connecting (TLS, AUTH) and one mail
// transaction per outbox item.

type outcome int

const (
	outcomeSent      outcome = iota
	outcomeTemporary         // 4xx reply: retry; connection still usable
	outcomePermanent         // 5xx reply to this message: give up
	outcomeBroken            // network or protocol error: retry on a new connection
	outcomeCrashed           // a panic while sending: fail the item, drop the connection
)

// sendOne runs one mail transaction; a panic in it fails only this item
// (STYLE.md habit 8).
func (s *Sender) sendOne(c *smtp.Client, it Item) (o outcome, err error) {
	defer func() {
		if r := recover(); r != nil {
			o, err = outcomeCrashed, fmt.Errorf("内部错误：%v", r)
		}
	}()
	err = s.transaction(c, it)
	if err == nil {
		return outcomeSent, nil
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		_ = c.Reset() // end the failed transaction before the next item
		if se.Code >= 500 && !authProblem(se) {
			return outcomePermanent, smtpErrText(se)
		}
		if se.Code >= 400 {
			return outcomeTemporary, smtpErrText(se)
		}
	}
	return outcomeBroken, err
}

func (s *Sender) transaction(c *smtp.Client, it Item) error {
	if len(it.To) == 0 {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "no recipients"}
	}
	if err := c.Mail(it.From, &smtp.MailOptions{Size: int64(len(it.Raw))}); err != nil {
		return err
	}
	for _, to := range it.To {
		if err := c.Rcpt(to, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(it.Raw); err != nil {
		_ = w.Close()
		return err
	}
	return w.Close()
}

// authProblem reports a 5xx that concerns our credentials or the relay's
// policy towards us, not the message: such letters wait until the settings
// are fixed instead of failing.
func authProblem(se *smtp.SMTPError) bool {
	switch se.Code {
	case 530, 534, 535, 538:
		return true
	}
	return se.EnhancedCode == smtp.EnhancedCode{5, 7, 0} && strings.Contains(strings.ToLower(se.Message), "auth")
}

func smtpErrText(se *smtp.SMTPError) error {
	code := fmt.Sprintf("%d", se.Code)
	if ec := se.EnhancedCode; ec != (smtp.EnhancedCode{}) && ec != smtp.NoEnhancedCode {
		code += fmt.Sprintf(" %d.%d.%d", ec[0], ec[1], ec[2])
	}
	return fmt.Errorf("%s %s", code, se.Message)
}

// dial connects to the relay: implicit TLS on port 465, else plain with
// STARTTLS when the relay offers it; then AUTH PLAIN when configured.
func (s *Sender) dial(ctx context.Context, from string) (*smtp.Client, error) {
	host, port, err := net.SplitHostPort(s.Relay)
	if err != nil {
		return nil, fmt.Errorf("中继地址“%s”无效：%w", s.Relay, err)
	}
	hello := s.HelloName
	if hello == "" {
		hello = domainOf(from)
	}
	if hello == "" {
		hello = "localhost"
	}
	cfg := s.tlsConfig(host)
	var d net.Dialer
	d.Timeout = 30 * time.Second

	var c *smtp.Client
	if port == "465" {
		conn, err := (&tls.Dialer{NetDialer: &d, Config: cfg}).DialContext(ctx, "tcp", s.Relay)
		if err != nil {
			return nil, err
		}
		c = s.newClient(ctx, conn)
	} else {
		conn, err := d.DialContext(ctx, "tcp", s.Relay)
		if err != nil {
			return nil, err
		}
		c = s.newClient(ctx, conn)
		if err := c.Hello(hello); err != nil {
			c.Close()
			return nil, err
		}
		ok, _ := c.Extension("STARTTLS")
		if !ok {
			return s.auth(c, host)
		}
		// go-smtp upgrades only a fresh client, so reconnect for STARTTLS.
		_ = c.Quit()
		c.Close()
		conn, err = d.DialContext(ctx, "tcp", s.Relay)
		if err != nil {
			return nil, err
		}
		c, err = smtp.NewClientStartTLS(conn, cfg)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("STARTTLS 失败：%w", err)
		}
		s.setTimeouts(ctx, c, conn)
	}
	// After implicit TLS or STARTTLS no EHLO has been sent under our name yet.
	if err := c.Hello(hello); err != nil {
		c.Close()
		return nil, err
	}
	return s.auth(c, host)
}

// auth logs in with AUTH PLAIN when credentials are set.
func (s *Sender) auth(c *smtp.Client, host string) (*smtp.Client, error) {
	if s.Username != "" {
		_, isTLS := c.TLSConnectionState()
		if !isTLS && !s.AllowInsecureAuth && !isLoopback(host) {
			c.Close()
			return nil, errors.New("中继服务器不支持 TLS，拒绝以明文发送登录密码")
		}
		if ok, _ := c.Extension("AUTH"); !ok {
			c.Close()
			return nil, errors.New("中继服务器不支持 AUTH 登录")
		}
		if err := c.Auth(sasl.NewPlainClient("", s.Username, s.Password)); err != nil {
			c.Close()
			return nil, fmt.Errorf("登录中继服务器失败：%w", err)
		}
	}
	return c, nil
}

func (s *Sender) newClient(ctx context.Context, conn net.Conn) *smtp.Client {
	c := smtp.NewClient(conn)
	s.setTimeouts(ctx, c, conn)
	return c
}

// setTimeouts bounds every command and closes the connection when ctx ends,
// so that a hung relay cannot stall shutdown.
func (s *Sender) setTimeouts(ctx context.Context, c *smtp.Client, conn net.Conn) {
	c.CommandTimeout = time.Minute
	c.SubmissionTimeout = 5 * time.Minute
	context.AfterFunc(ctx, func() { conn.Close() })
}

func (s *Sender) tlsConfig(host string) *tls.Config {
	var cfg *tls.Config
	if s.TLSConfig != nil {
		cfg = s.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
