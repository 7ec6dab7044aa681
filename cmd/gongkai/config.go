package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Option is one configuration setting: a default that runs on a fresh
// machine, an environment variable, and a flag of `serve` (STYLE.md habit 11).
type Option struct {
	Key     string // config-file key and flag name
	Env     string
	Default string
	Secret  bool
	Help    string
}

// Options is the one table of settings.
var Options = []Option{
	{"db", "GONGKAI_DB", "./gongkai.db", false, "SQLite 数据库文件"},
	{"http", "GONGKAI_HTTP", "127.0.0.1:8080", false, "网页与 API 监听地址"},
	{"smtp", "GONGKAI_SMTP", "127.0.0.1:2525", false, "SMTP 收件监听地址（空则不启动）"},
	{"smtp-domain", "GONGKAI_SMTP_DOMAIN", "localhost", false, "SMTP 问候使用的域名"},
	{"smtp-max-bytes", "GONGKAI_SMTP_MAX_BYTES", "26214400", false, "单封邮件大小上限（字节）"},
	{"smtp-max-conns", "GONGKAI_SMTP_MAX_CONNS", "100", false, "同时服务的 SMTP 连接数上限；超出的连接收到 421，由发信方稍后重试"},
	{"smtp-recipients", "GONGKAI_SMTP_RECIPIENTS", "", false, "接受的收件地址，逗号分隔；空则全部接受"},
	{"smtp-tls-cert", "GONGKAI_SMTP_TLS_CERT", "", false, "STARTTLS 证书文件"},
	{"smtp-tls-key", "GONGKAI_SMTP_TLS_KEY", "", false, "STARTTLS 私钥文件"},
	{"relay", "GONGKAI_RELAY", "", false, "发信中继 HOST:PORT；空则信件留在发件箱"},
	{"relay-user", "GONGKAI_RELAY_USER", "", false, "发信中继用户名"},
	{"relay-password", "GONGKAI_RELAY_PASSWORD", "", true, "发信中继密码"},
	{"mail-from", "GONGKAI_MAIL_FROM", "ysqgk@localhost", false, "发出信件的发件地址"},
	{"imap", "GONGKAI_IMAP", "", false, "要轮询的 IMAP 服务器 HOST:PORT；空则不启用"},
	{"imap-user", "GONGKAI_IMAP_USER", "", false, "IMAP 用户名"},
	{"imap-password", "GONGKAI_IMAP_PASSWORD", "", true, "IMAP 密码"},
	{"imap-mailbox", "GONGKAI_IMAP_MAILBOX", "INBOX", false, "IMAP 邮箱"},
	{"imap-tls", "GONGKAI_IMAP_TLS", "implicit", false, "implicit、starttls 或 none（仅限本机回环）"},
	{"imap-move-to", "GONGKAI_IMAP_MOVE_TO", "", false, "收取后移入的文件夹；空则只标记为已读"},
	{"imap-start", "GONGKAI_IMAP_START", "unseen", false, "首次收取某个邮箱时收取哪些邮件：unseen（未读邮件及以后的新邮件）、all（全部邮件）或 new（只收以后的新邮件）"},
	{"imap-ca", "GONGKAI_IMAP_CA", "", false, "邮箱服务器证书的签发机构证书（PEM 文件）；空则使用系统信任的证书"},
	{"agency", "GONGKAI_AGENCY", "西工区住房和城乡建设局", false, "机关名称"},
	{"file-rate", "GONGKAI_FILE_RATE", "10", false, "同一地址每分钟最多提交申请次数（0 为不限）"},
	{"admin-password", "GONGKAI_ADMIN_PASSWORD", "", true, "首次启动时创建 admin 账户的密码"},
	{"calendar", "GONGKAI_CALENDAR", "", false, "补充的节假日安排文件"},
	{"secure-cookies", "GONGKAI_SECURE_COOKIES", "false", false, "经 HTTPS 提供服务时设为 true"},
	{"trusted-proxies", "GONGKAI_TRUSTED_PROXIES", "", false, "前置反向代理的地址（逗号分隔，可写网段）；只有来自这些地址的 X-Forwarded-For 才被采信，空则一律不采信"},
	{"daily", "GONGKAI_DAILY", "true", false, "每个工作日早8点发送期限提醒并记录逾期未补正、未缴费（false 为关闭）"},
}

// Config holds resolved settings.
type Config map[string]string

// LoadConfig resolves settings: defaults, then the file, then the environment,
// then flags (flags are applied by the caller).
func LoadConfig(file string) (Config, error) {
	c := Config{}
	for _, o := range Options {
		c[o.Key] = o.Default
	}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			k = strings.TrimSpace(k)
			if _, known := c[k]; !ok || !known {
				return nil, fmt.Errorf("config: %s:%d: 无法识别的设置 %q", file, n, k)
			}
			c[k] = strings.Trim(strings.TrimSpace(v), `"`)
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("config: read %s: %w", file, err)
		}
	}
	for _, o := range Options {
		if v, ok := os.LookupEnv(o.Env); ok {
			c[o.Key] = v
		}
	}
	return c, nil
}

// Int returns a numeric setting.
func (c Config) Int(k string) int {
	n, _ := strconv.Atoi(c[k])
	return n
}

// Bool returns a boolean setting.
func (c Config) Bool(k string) bool {
	b, _ := strconv.ParseBool(c[k])
	return b
}
