package testkit

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// IMAPServer is the IMAP server the tests talk to: a private Dovecot on
// 127.0.0.1 started by scripts/test.sh (plain LOGIN, no TLS, IDLE supported).
type IMAPServer struct {
	Addr     string // host:port
	User     string
	Password string
}

// appendWindow is how many APPEND commands may be in flight at once.
const appendWindow = 256

// IMAP returns the test IMAP server from the environment. Without one it
// skips the test, or fails it under GONGKAI_TEST_REQUIRE_SERVERS=1.
func IMAP(t testing.TB) IMAPServer {
	t.Helper()
	s := IMAPServer{
		Addr:     os.Getenv(EnvIMAPAddr),
		User:     os.Getenv(EnvIMAPUser),
		Password: os.Getenv(EnvIMAPPassword),
	}
	if s.Addr == "" || s.User == "" || s.Password == "" {
		missing(t, "the IMAP server", EnvIMAPAddr+", "+EnvIMAPUser+" or "+EnvIMAPPassword+" is not set")
	}
	return s
}

// Dial connects and logs in. The connection is closed when the test ends.
func (s IMAPServer) Dial(t testing.TB) *imapclient.Client {
	t.Helper()
	return s.DialWith(t, nil)
}

// DialWith is Dial with client options (for example an
// UnilateralDataHandler to watch IDLE updates). A nil Dialer gets a 10 s
// connect timeout.
func (s IMAPServer) DialWith(t testing.TB, opts *imapclient.Options) *imapclient.Client {
	t.Helper()
	c, err := s.dial(opts)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (s IMAPServer) dial(opts *imapclient.Options) (*imapclient.Client, error) {
	o := imapclient.Options{}
	if opts != nil {
		o = *opts
	}
	if o.Dialer == nil {
		o.Dialer = &net.Dialer{Timeout: 10 * time.Second}
	}
	c, err := imapclient.DialInsecure(s.Addr, &o)
	if err != nil {
		return nil, fmt.Errorf("dialing IMAP %s: %w", s.Addr, err)
	}
	if err := c.Login(s.User, s.Password).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("logging in to IMAP %s as %s: %w", s.Addr, s.User, err)
	}
	return c, nil
}

// ResetMailbox empties the mailbox for a fresh test, creating it if needed.
// INBOX is emptied with STORE \Deleted + EXPUNGE (so its UIDVALIDITY stays and
// new UIDs keep growing); any other mailbox is deleted and created again (a
// new UIDVALIDITY).
//
// Packages are tested in parallel against the one server, so ResetMailbox
// also takes a lock on the mailbox that other tests — in this process or
// another — wait for, until this test ends. Tests that need no particular
// mailbox should use TempMailbox instead and never wait.
func (s IMAPServer) ResetMailbox(t testing.TB, name string) {
	t.Helper()
	lockMailbox(t, s.Addr+"|"+s.User+"|"+name)
	c := s.Dial(t)
	if name == "INBOX" {
		if err := expungeAll(c, name); err != nil {
			t.Fatalf("testkit: emptying %s: %v", name, err)
		}
	} else if err := recreate(c, name); err != nil {
		t.Fatalf("testkit: resetting %s: %v", name, err)
	}
	c.Close()
}

// TempMailbox creates an empty mailbox with a name unique to this test run
// and deletes it when the test ends. Use it where a test does not care which
// mailbox it reads, so that parallel tests do not share one.
func (s IMAPServer) TempMailbox(t testing.TB) string {
	t.Helper()
	name := "testkit-" + safeName(t.Name()) + "-" + randomSuffix()
	c := s.Dial(t)
	if err := c.Create(name, nil).Wait(); err != nil {
		t.Fatalf("testkit: creating mailbox %s: %v", name, err)
	}
	c.Close()
	t.Cleanup(func() {
		c, err := s.dial(nil)
		if err != nil {
			t.Logf("testkit: deleting mailbox %s: %v", name, err)
			return
		}
		defer c.Close()
		if err := c.Delete(name).Wait(); err != nil {
			t.Logf("testkit: deleting mailbox %s: %v", name, err)
		}
	})
	return name
}

// Append stores the raw messages in the mailbox and returns their UIDs in
// order. It sends them in MULTIAPPEND batches when the server allows (Dovecot
// does: 10,000 messages take seconds), else as pipelined single APPENDs.
// Append many messages in one call, not one call per message.
func (s IMAPServer) Append(t testing.TB, mailbox string, raw ...[]byte) []imap.UID {
	t.Helper()
	if len(raw) == 0 {
		return nil
	}
	uids, err := multiAppend(s.Addr, s.User, s.Password, mailbox, raw)
	if errors.Is(err, errNoMultiAppend) {
		uids, err = s.appendPipelined(mailbox, raw)
	}
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	return uids
}

// appendPipelined sends one APPEND per message over one connection, keeping
// up to appendWindow commands in flight.
func (s IMAPServer) appendPipelined(mailbox string, raw [][]byte) ([]imap.UID, error) {
	c, err := s.dial(nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	uids := make([]imap.UID, 0, len(raw))
	pending := make([]*imapclient.AppendCommand, 0, appendWindow)
	wait := func(cmd *imapclient.AppendCommand) error {
		data, err := cmd.Wait()
		if err != nil {
			return fmt.Errorf("appending message %d to %s: %w", len(uids)+1, mailbox, err)
		}
		uids = append(uids, data.UID)
		return nil
	}
	for i, msg := range raw {
		cmd := c.Append(mailbox, int64(len(msg)), nil)
		if _, err := cmd.Write(msg); err != nil {
			return nil, fmt.Errorf("writing message %d to %s: %w", i+1, mailbox, err)
		}
		if err := cmd.Close(); err != nil {
			return nil, fmt.Errorf("sending message %d to %s: %w", i+1, mailbox, err)
		}
		pending = append(pending, cmd)
		if len(pending) == appendWindow {
			if err := wait(pending[0]); err != nil {
				return nil, err
			}
			pending = pending[1:]
		}
	}
	for _, cmd := range pending {
		if err := wait(cmd); err != nil {
			return nil, err
		}
	}
	return uids, nil
}

// IMAPMessage is a message as Messages reads it back.
type IMAPMessage struct {
	UID   imap.UID
	Flags []imap.Flag
	Raw   []byte
}

// Messages returns every message of the mailbox in UID order, read-only
// (EXAMINE, BODY.PEEK: no \Seen is set).
func (s IMAPServer) Messages(t testing.TB, mailbox string) []IMAPMessage {
	t.Helper()
	c := s.Dial(t)
	defer c.Close()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("testkit: examining %s: %v", mailbox, err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	body := &imap.FetchItemBodySection{Peek: true}
	bufs, err := c.Fetch(allSeq(), &imap.FetchOptions{
		UID:         true,
		Flags:       true,
		BodySection: []*imap.FetchItemBodySection{body},
	}).Collect()
	if err != nil {
		t.Fatalf("testkit: fetching %s: %v", mailbox, err)
	}
	msgs := make([]IMAPMessage, 0, len(bufs))
	for _, b := range bufs {
		msgs = append(msgs, IMAPMessage{
			UID:   b.UID,
			Flags: b.Flags,
			Raw:   bytes.Clone(b.FindBodySection(body)),
		})
	}
	sort.Slice(msgs, func(i, j int) bool { return msgs[i].UID < msgs[j].UID })
	return msgs
}

// allSeq is the sequence set 1:*.
func allSeq() imap.SeqSet {
	var set imap.SeqSet
	set.AddRange(1, 0)
	return set
}

func expungeAll(c *imapclient.Client, name string) error {
	sel, err := c.Select(name, nil).Wait()
	if err != nil {
		return fmt.Errorf("selecting: %w", err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}
	if err := c.Store(allSeq(), store, nil).Close(); err != nil {
		return fmt.Errorf("flagging \\Deleted: %w", err)
	}
	if err := c.Expunge().Close(); err != nil {
		return fmt.Errorf("expunging: %w", err)
	}
	return nil
}

func recreate(c *imapclient.Client, name string) error {
	err := c.Delete(name).Wait()
	var imapErr *imap.Error
	if err != nil && !(errors.As(err, &imapErr) && imapErr.Code == imap.ResponseCodeNonExistent) {
		return fmt.Errorf("deleting: %w", err)
	}
	if err := c.Create(name, nil).Wait(); err != nil {
		return fmt.Errorf("creating: %w", err)
	}
	return nil
}
