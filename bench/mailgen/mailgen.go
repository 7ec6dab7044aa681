// Package mailgen generates the load corpus of the intake benchmarks:
// 政府信息公开 request letters as Chinese mail clients send them.
package mailgen

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"mime"
	"strings"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

var (
	surnames = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡"}
	given    = []string{"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞"}
	topics   = []string{
		"2024年西工区翠湖名苑项目3号楼商品房预售许可证",
		"七一路街道2024年度公共租赁住房配租名单",
		"凯旋东路老旧小区改造项目的施工许可证及中标结果",
		"王城大道棚户区改造项目房屋征收补偿方案",
		"本小区专项维修资金2023年度使用情况",
		"贵局2023年部门决算及三公经费支出情况",
		"金谷园路建筑工地扬尘检查记录",
		"锦绣花园小区竣工验收备案表",
	}
)

// Corpus builds n distinct messages: 45% UTF-8, 45% GBK letters, 10% with
// a 200 KB attachment (about 30 KB on average), and their total size.
func Corpus(n int) ([][]byte, int) {
	r := rand.New(rand.NewPCG(1, 2))
	att := make([]byte, 200<<10)
	for i := range att {
		att[i] = byte(r.IntN(256))
	}
	attB64 := wrap(base64.StdEncoding.EncodeToString(att))
	out := make([][]byte, n)
	total := 0
	for i := range out {
		name := surnames[r.IntN(len(surnames))] + given[r.IntN(len(given))]
		topic := topics[r.IntN(len(topics))]
		text := letter(name, topic, i, r)
		var b bytes.Buffer
		fmt.Fprintf(&b, "Message-ID: <load-%d-%d@mail.example>\r\n", i, r.Uint32())
		fmt.Fprintf(&b, "Date: %s\r\n", time.Now().Format(time.RFC1123Z))
		gbk := i%2 == 1
		charset := "utf-8"
		body := []byte(text)
		if gbk {
			charset = "GBK"
			body, _ = simplifiedchinese.GBK.NewEncoder().Bytes(body)
		}
		fmt.Fprintf(&b, "From: %s <user%d@163.example>\r\n", mime.BEncoding.Encode(charset, name), i)
		fmt.Fprintf(&b, "To: ysqgk@zjj.xigong.example\r\nSubject: %s\r\nMIME-Version: 1.0\r\n", mime.BEncoding.Encode("utf-8", "政府信息公开申请："+topic))
		if i%10 == 9 {
			b.WriteString("Content-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\n--=_b\r\n")
			fmt.Fprintf(&b, "Content-Type: text/plain; charset=%s\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--=_b\r\n", charset, wrap(base64.StdEncoding.EncodeToString(body)))
			b.WriteString("Content-Type: application/pdf; name=\"shenqing.pdf\"\r\nContent-Disposition: attachment; filename=\"shenqing.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
			b.WriteString(attB64)
			b.WriteString("\r\n--=_b--\r\n")
		} else {
			fmt.Fprintf(&b, "Content-Type: text/plain; charset=%s\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n", charset, wrap(base64.StdEncoding.EncodeToString(body)))
		}
		out[i] = b.Bytes()
		total += b.Len()
	}
	return out, total
}

func letter(name, topic string, i int, r *rand.Rand) string {
	id := fmt.Sprintf("410303%04d%02d%02d%03d", 1960+r.IntN(45), 1+r.IntN(12), 1+r.IntN(28), r.IntN(1000))
	id += string(checkDigit(id))
	return fmt.Sprintf(`洛阳市西工区住房和城乡建设局：

根据《中华人民共和国政府信息公开条例》的规定，本人申请公开以下政府信息：
%s。

申请人：%s
身份证号码：%s
联系电话：139%08d
通信地址：洛阳市西工区中州中路%d号
电子邮箱：user%d@163.example
获取方式：电子邮件

此致
敬礼

%s
`, topic, name, id, r.IntN(100000000), 1+i%300, i, name) + strings.Repeat("（以上信息用于了解本人居住小区的有关情况。）\n", 1+r.IntN(20))
}

// checkDigit is the GB 11643 check character of the first 17 digits.
func checkDigit(s string) byte {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(s[i]-'0') * w[i]
	}
	return "10X98765432"[sum%11]
}

func wrap(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76])
		b.WriteString("\r\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}
