//! A public notice as files: the table as CSV and XLSX, and a printable HTML page (A4, Chinese
//! fonts) a newspaper or a notice board can take as it is. Every cell comes from the public
//! view (`siji_core::grants::notices::PublicLine`), so no format can show more than the
//! notice's masks; the HTML escapes everything it prints.

use entity::grant_notices;
use siji_core::enums::label;
use siji_core::grants::notices::PublicLine;

use crate::domain::money::yuan;
use crate::resources::beneficiaries::dto::{Category, Stage};

pub const HEADERS: [&str; 7] = [
    "序号",
    "姓名",
    "身份证号",
    "县市区",
    "学校",
    "类别",
    "金额(元)",
];

pub fn rows(lines: &[PublicLine]) -> Vec<Vec<String>> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let kind = match (&l.stage, &l.category) {
                (Some(stage), _) => label::<Stage>(stage).to_owned(),
                (None, Some(category)) => label::<Category>(category).to_owned(),
                (None, None) => String::new(),
            };
            vec![
                (i + 1).to_string(),
                l.name.clone(),
                l.id_number.clone().unwrap_or_default(),
                l.county.clone(),
                l.school.clone().unwrap_or_default(),
                kind,
                yuan(l.amount_fen),
            ]
        })
        .collect()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The printable page: title, period, the list with its total, and where objections go.
pub fn html(notice: &grant_notices::Model, lines: &[PublicLine]) -> String {
    let total: i64 = lines.iter().map(|l| l.amount_fen).sum();
    let mut body = String::new();
    for row in rows(lines) {
        body.push_str("<tr>");
        for cell in row {
            body.push_str("<td>");
            body.push_str(&escape(&cell));
            body.push_str("</td>");
        }
        body.push_str("</tr>\n");
    }
    format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>
@page {{ size: A4; margin: 20mm 15mm; }}
body {{ font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", "Source Han Serif SC", serif; font-size: 12pt; color: #000; }}
h1 {{ font-family: "SimHei", "Heiti SC", "Noto Sans CJK SC", sans-serif; font-size: 18pt; text-align: center; margin: 0 0 12pt; }}
p {{ line-height: 1.8; text-indent: 2em; margin: 0 0 6pt; }}
table {{ width: 100%; border-collapse: collapse; margin: 12pt 0; }}
th, td {{ border: 1px solid #000; padding: 3pt 4pt; text-align: center; font-size: 10.5pt; }}
thead {{ display: table-header-group; }}
tr {{ page-break-inside: avoid; }}
.total td {{ font-weight: bold; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p>根据活动安排，经摸底排查、入户走访核实，现将拟资助名单予以公示。公示期自{start}至{end}。如对公示对象有异议，请于公示期内向{contact}反映。</p>
<table>
<thead><tr><th>序号</th><th>姓名</th><th>身份证号</th><th>县市区</th><th>学校</th><th>类别</th><th>金额(元)</th></tr></thead>
<tbody>
{body}<tr class="total"><td colspan="6">合计 {count} 人</td><td>{total}</td></tr>
</tbody>
</table>
<p>联系方式：{contact}</p>
</body>
</html>
"#,
        title = escape(&notice.title),
        start = notice.starts_on.format("%Y年%m月%d日"),
        end = notice.ends_on.format("%Y年%m月%d日"),
        contact = escape(&notice.contact),
        count = lines.len(),
        total = yuan(total),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_escapes_what_it_prints() {
        assert_eq!(
            escape("<b>\"张\"&'</b>"),
            "&lt;b&gt;&quot;张&quot;&amp;&#39;&lt;/b&gt;"
        );
    }
}
