package classifier

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gongkai"
)

var update = flag.Bool("update", false, "rewrite testdata/verdicts.golden from the current classifier")

// goldenSnippets are free texts for ClassifyText and Extract: the inputs of the
// unit tests plus a few more shapes (forms, prose, traditional characters).
var goldenSnippets = []struct{ subject, text string }{
	{"", "姓名：黄晓东\n身份证号码：４１０３０３１９８２０４１５００１８\n联系电话：１３６ ０３７９ ８８２１\n通信地址：洛阳市西工区七一路８号院２号楼（邮编：４７１０００）\n申请公开的信息：2023年度西工区棚户区改造安置房分配名单"},
	{"", "本人潘建业，身份证 410305 1969 1102 2035，手机 158-3790-1122，申请公开凯旋路小区加装电梯补贴的拨付情况。"},
	{"", "申请人：韦小宝\n身份证号：410303199001011235\n电话：13700000000"},
	{"", "联系人：蒋立平\n联系电话：(0379)6521 8890\n单位名称：洛阳宏达物业服务有限公司\n统一社会信用代码：91410303MA45XK7LX6"},
	{"", "聯絡電話：+852 6123 4567\n證件號碼：810000197206050533"},
	{"", "电话：0379-64112233，手机：+86 139 3791 0000"},
	{"", "My name is John Smith. 护照号码：E12345678 申请公开西工区2024年施工许可证目录"},
	{"", "我叫钱淑芬，住洛阳市西工区邙岭路36号院，想申请公开我们院老旧小区改造的施工合同。"},
	{"", "您好：\n申请公开贵局2023年行政处罚决定书目录。请将材料邮寄给我。\n\n孔令辉\n13912345678"},
	{"", "申请公开2022年以来的竣工验收备案表。请刻录光盘，我们派人来局里领取。"},
	{"", "申请公开锦绣小区物业服务合同备案信息，本人希望现场查阅。"},
	{"", "申请公开西工区2024年公租房配租名单。"},
	{"", "我家在牡丹园小区。申请公开以下信息：\n1、牡丹园项目的商品房预售许可证；\n2、该项目的竣工验收备案表。"},
	{"", "联系邮箱：Li.Ming@Example.COM"},
	{"", "申请单位：河南正言律师事务所\n统一社会信用代码：31410300MD01372662\n经办律师：邵明"},
	{"", "申请公开西工区2024年度公共租赁住房配租名单。"},
	{"", "申请公开幸福小区专项维修资金使用明细。"},
	{"", "申请公开金谷园路项目的建筑工程施工许可证。"},
	{"", "申请公开和园小区的竣工验收备案表。"},
	{"", "申请公开道北片区房屋征收补偿方案。"},
	{"", "申请公开2024年行政处罚决定书。"},
	{"", "申请公开翠湖项目网签备案成交均价。"},
	{"", "申请公开贵局2024年部门决算和三公经费。"},
	{"", "申请公开锦华苑的预售许可证和施工许可证。"},
	{"", "申请公开你局的全部文件。"},
	{"", "申请公开西工区2024年核发的商品房预售许可证清单。\n冯十一\n身份证：110101199003074477\n电话：13611112222"},
	{"", "申请公开西工区2024年核发的施工许可证清单。\n冯十一\n身份证：110101199003074477"},
	{"", "请公开你局所有文件，越全越好。\n身份证：110101199003074476\n电话：13611112222"},
	{"系统退信", "很抱歉，您的邮件无法投递。"},
	{"Re: 补正告知书", "您好，我正在休假期间，暂时无法回复邮件，返回后尽快回复。"},
	{"企业推广优惠", "本公司提供网站建设、网络营销服务，价格优惠，加微信咨询。"},
	{"撤回申请", "我申请撤回GK-2025-000090号申请。"},
	{"政府信息公开申请", "依据政府信息公开条例申请：请贵局立即查处幸福里小区违章搭建，并给我一个说法。\n赵六 13800000000"},
	{"举报", "我要举报某工地拖欠农民工工资，请你们尽快处理。"},
	{"问一下", "请问经济适用房现在还能申请吗？需要什么条件？"},
	{"索取年鉴", "申请贵局提供一本《西工区住房和城乡建设年鉴（2023）》，我可以自行领取。"},
	{"补发答复书", "贵局去年给我的答复书丢失了，请补发一份并加盖公章。"},
	{"【依申请公开】新申请提醒：WS2025", "申请人类型：公民\n姓名：郑十\n证件号码：110101199003074477\n联系电话：13811112222\n所需信息内容描述：2024年西工区保障性租赁住房项目清单\n获取信息方式：电子邮件"},
	{"申请公开", "申请公开西工区2024年核发的商品房预售许可证清单。\n冯十一\n身份证：110101199003074477\n电话：13611112222"},
	{"申请公开2024年行政处罚决定书", "您好，请按附件办理。"},
	{"", "尊敬的领导：\n我是西工区居民王建國，現申請公開貴局2023年核發的預售許可證清單。\n聯繫電話：13903791234\n此致\n敬礼\n王建國"},
	{"", "申请单位：洛阳市西工区锦绣花园业主委员会\n负责人：刘红\n身份证号：410303197501012345\n联系地址：洛阳市西工区中州路100号\n申请内容：\n（一）锦绣花园专项维修资金2023年使用明细；\n（二）物业服务企业信用评价结果\n获取方式：自行领取"},
	{"", "我公司（洛阳新城建筑有限公司）申请公开贵局对我公司作出的行政处罚决定书及其依据。\n统一社会信用代码：91410300MA9ABCDE1X\n联系人：张伟 0379-65551234\n洛阳新城建筑有限公司"},
	{"", "律师王磊受李明先生的委托，申请公开李明名下房屋的征收补偿决定书。\n律师执业证号：14103201010123456\n电话：13838383838"},
	{"", "你好 请问我想查询一下我们小区的规划许可证 需要什么材料 可以发邮件吗"},
	{"", "  \n\n  "},
	{"", ""},
	{"Fwd: 信息公开申请", "---------- Forwarded message ---------\nFrom: 陈小明 <chenxm@qq.example>\nDate: 2025年5月1日\nSubject: 信息公开申请\n\n申请公开西工区2023年保障房分配名单。\n陈小明 13700001111"},
	{"", "申请公开以下信息：\n1. 2023年度西工区棚户区改造项目清单\n2. 上述项目的安置方案\n3. 该项目的资金拨付情况\n\n此致\n敬礼\n\n王芳\n410303198807071234\n通信地址：洛阳市西工区道南路5号\n请以电子邮件方式答复：wangfang@163.example"},
	{"", "Hello, I would like to request the 2024 list of construction permits issued by your bureau. My email is test@example.com. Thanks."},
}

// goldenRecord is one classified input.
type goldenRecord struct {
	Input   string           `json:"input"`
	Verdict *gongkai.Verdict `json:"verdict,omitempty"`
	Fields  *Fields          `json:"fields,omitempty"`
}

// corpusVerdicts classifies every mail of files the way Eval does: in Date
// order, with a History of the requests seen so far.
func corpusVerdicts(t *testing.T, c *Classifier, label string, files []string) []goldenRecord {
	t.Helper()
	var items []evalItem
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("reading %s: %v", f, err)
		}
		e, perr := parseEmail(raw)
		rel := label + "/" + filepath.Base(f)
		if label == "peer" {
			rel = label + "/" + strings.TrimPrefix(f, filepath.Dir(filepath.Dir(filepath.Dir(f)))+"/")
		}
		items = append(items, evalItem{file: rel, e: e, err: perr})
	}
	sort.SliceStable(items, func(i, j int) bool {
		di, dj := dateOf(items[i].e), dateOf(items[j].e)
		if !di.Equal(dj) {
			return di.Before(dj)
		}
		return items[i].file < items[j].file
	})
	hist := &memHistory{}
	var out []goldenRecord
	for _, it := range items {
		var v gongkai.Verdict
		if it.e == nil {
			v = gongkai.Verdict{Nature: gongkai.KindUnparsed}
		} else {
			v = c.Classify(it.e, hist)
		}
		if v.Nature == gongkai.KindRequest {
			hist.add(strings.TrimSuffix(filepath.Base(it.file), ".eml"), v, dateOf(it.e))
		}
		out = append(out, goldenRecord{Input: it.file, Verdict: &v})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Input < out[j].Input })
	return out
}

// corpusEmails parses every mail of the dev and peer corpora; those that
// do not parse are left out.
func corpusEmails(t *testing.T) []*gongkai.Email {
	t.Helper()
	dev := devCorpus(t)
	files, _ := filepath.Glob(filepath.Join(dev, "*.eml"))
	files = append(files, peerFiles(t, dev)...)
	var out []*gongkai.Email
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if e, _ := parseEmail(raw); e != nil {
			out = append(out, e)
		}
	}
	return out
}

// randText joins fewer than n pieces of alpha chosen by rng.
func randText(rng *rand.Rand, alpha []string, n int) string {
	var b strings.Builder
	for k := rng.IntN(n); k > 0; k-- {
		b.WriteString(alpha[rng.IntN(len(alpha))])
	}
	return b.String()
}

// peerFiles lists the peer corpus's mails (licences and source notes left out).
func peerFiles(t *testing.T, dev string) []string {
	t.Helper()
	root := filepath.Join(filepath.Dir(dev), "peer")
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n := d.Name()
		if strings.Contains(strings.ToUpper(n), "LICENSE") || n == "SOURCES.md" || n == "AGPL-3" {
			return nil
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", root, err)
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatalf("no peer corpus under %s", root)
	}
	return files
}

// TestGoldenVerdicts freezes the classifier's output (every field and reason)
// over the dev and peer corpora and the snippets above, so that speed work
// cannot change a verdict unnoticed. Regenerate with -update only when a change
// of behaviour is intended.
func TestGoldenVerdicts(t *testing.T) {
	dev := devCorpus(t)
	clock := time.Date(2025, 6, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	c := newC(t, WithClock(func() time.Time { return clock }))
	devFiles, _ := filepath.Glob(filepath.Join(dev, "*.eml"))
	var recs []goldenRecord
	recs = append(recs, corpusVerdicts(t, c, "dev", devFiles)...)
	recs = append(recs, corpusVerdicts(t, c, "peer", peerFiles(t, dev))...)
	for i, s := range goldenSnippets {
		v := c.ClassifyText(s.subject, s.text, nil)
		f := Extract(s.text)
		f.Evidence = nil
		recs = append(recs, goldenRecord{Input: fmt.Sprintf("snippet %02d", i), Verdict: &v}, goldenRecord{Input: fmt.Sprintf("extract %02d", i), Fields: &f})
	}
	var buf bytes.Buffer
	for _, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("marshal %s: %v", r.Input, err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	path := filepath.Join("testdata", "verdicts.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s (run with -update to create it): %v", path, err)
	}
	got := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	wl := strings.Split(strings.TrimRight(string(want), "\n"), "\n")
	if len(got) != len(wl) {
		t.Errorf("golden has %d records, got %d", len(wl), len(got))
	}
	bad := 0
	for i := 0; i < min(len(got), len(wl)); i++ {
		if got[i] != wl[i] {
			bad++
			if bad <= 5 {
				t.Errorf("record %d differs:\n got %s\nwant %s", i, got[i], wl[i])
			}
		}
	}
	if bad > 5 {
		t.Errorf("%d records differ in all", bad)
	}
}
