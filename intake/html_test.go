package intake

import "testing"

func TestHTMLToText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"blocks", "<div>第一行</div><div>第二行</div><p>第三段</p>", "第一行\n第二行\n第三段"},
		{"br and empty paragraph", "<div>a<br>b</div><div><br></div><div>c</div>", "a\nb\n\nc"},
		{"entities and nbsp", "<p>A&amp;B&nbsp;&nbsp;&lt;x&gt; &#20013;&#25991;</p>", "A&B <x> 中文"},
		{"script and style dropped", "<style>p{color:red}</style><script>alert(1)</script><p>正文</p>", "正文"},
		{"two-cell rows", "<table><tr><td>姓名</td><td>张三</td></tr><tr><th>电话：</th><td>13800000000</td></tr></table>", "姓名：张三\n电话：13800000000"},
		{"wide rows", "<table><tr><td>项目</td><td>地址</td><td>套数</td></tr><tr><td>翠湖名苑</td><td>西工区</td><td>120</td></tr></table>", "项目 | 地址 | 套数\n翠湖名苑 | 西工区 | 120"},
		{"blocks inside cells", "<table><tr><td><div>所需信息</div></td><td><p>第一项</p><p>第二项</p></td></tr></table>", "所需信息：第一项 第二项"},
		{"text around table", "<p>如下表：</p><table><tr><td>a</td><td>b</td></tr></table><p>谢谢</p>", "如下表：\na：b\n谢谢"},
		{"blockquote", "<div>好的</div><blockquote><div>原文</div></blockquote>", "好的\n> 原文"},
		{"pre keeps lines", "<pre>a\n  b</pre>", "a\n  b"},
		{"white space collapsed", "<p>  多个   空格\n换行 </p>", "多个 空格 换行"},
		{"broken html", "<div>未闭合<table><tr><td>x", "未闭合\nx"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := HTMLToText(tc.in); got != tc.want {
				t.Errorf("HTMLToText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
