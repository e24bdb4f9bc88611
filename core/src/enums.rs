//! `string_enum!`: an enumeration stored as lower snake_case text and documented (with its
//! Chinese terms) in the OpenAPI schema; with `ALL`, `as_str` and `parse`. The doc comment of
//! each value is kept as data too, so that the document can list what each value means and
//! `GET /api/v1/meta/enums` can give front-ends their labels from the same words. A new
//! enumeration is added to `resources::meta::catalogue` (a test fails until it is).

/// An enumeration whose values are documented: its schema name, its own description and, per
/// value, the value's doc comment.
pub trait Documented {
    const NAME: &'static str;
    const DESCRIPTION: &'static str;
    const VALUES: &'static [(&'static str, &'static str)];
}

#[macro_export]
macro_rules! string_enum {
    (
        $(#[doc = $doc:literal])*
        $(#[derive($($extra:ident),*)])?
        $name:ident { $($(#[doc = $vdoc:literal])* $variant:ident = $text:literal),* $(,)? }
    ) => {
        $crate::__with_schema! {
            $(#[doc = $doc])*
            $(#[derive($($extra),*)])?
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
            #[serde(rename_all = "snake_case")]
            pub enum $name { $($(#[doc = $vdoc])* $variant),* }
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $text),* } }
            pub fn parse(s: &str) -> Option<Self> { Self::ALL.iter().copied().find(|v| v.as_str() == s) }
        }

        impl $crate::enums::Documented for $name {
            const NAME: &'static str = stringify!($name);
            const DESCRIPTION: &'static str = concat!($($doc),*);
            const VALUES: &'static [(&'static str, &'static str)] = &[$(($text, concat!($($vdoc),*))),*];
        }
    };
}

pub use crate::string_enum;

/// Derives the OpenAPI schema of an item when the core is built with the `openapi` feature. The
/// choice is made when the core is compiled, so every crate that declares an enumeration with
/// [`string_enum!`] gets the same behaviour.
#[cfg(feature = "openapi")]
#[doc(hidden)]
#[macro_export]
macro_rules! __with_schema {
    ($item:item) => {
        #[derive(utoipa::ToSchema)]
        $item
    };
}

#[cfg(not(feature = "openapi"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __with_schema {
    ($item:item) => {
        $item
    };
}

/// What people read for a stored value: its Chinese term, or the value itself when it has none
/// (or is not one of the enumeration's).
pub fn label<E: Documented>(value: &str) -> &str {
    E::VALUES
        .iter()
        .find(|(v, _)| *v == value)
        .and_then(|(_, doc)| chinese_term(doc))
        .unwrap_or(value)
}

/// A stored comma-separated list of values as people read it: `illness,unemployment` →
/// `因病、失业`.
pub fn labels<E: Documented>(stored: &str) -> String {
    stored
        .split(',')
        .filter(|v| !v.is_empty())
        .map(label::<E>)
        .collect::<Vec<_>>()
        .join("、")
}

/// The Chinese term of a value's description: the first parenthesised text holding Chinese
/// characters (`Filed with the labour bureau (已备案).` → `已备案`; nested brackets are kept:
/// `乡镇(街道)工会`).
pub fn chinese_term(description: &str) -> Option<&str> {
    let mut search_from = 0;
    while let Some(open) = description[search_from..]
        .find('(')
        .map(|i| i + search_from)
    {
        let mut depth = 0;
        for (i, c) in description[open..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        let inner = &description[open + 1..open + i];
                        if inner
                            .chars()
                            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
                        {
                            return Some(inner);
                        }
                        break;
                    }
                }
                _ => {}
            }
        }
        search_from = open + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::chinese_term;

    #[test]
    fn chinese_terms() {
        assert_eq!(chinese_term(" Deep hardship (深度困难)."), Some("深度困难"));
        assert_eq!(
            chinese_term(" Signed (已签订), not yet filed."),
            Some("已签订")
        );
        assert_eq!(
            chinese_term(" Township or street union (乡镇(街道)工会)."),
            Some("乡镇(街道)工会")
        );
        assert_eq!(
            chinese_term(" Industry (`C`) or region (区域性)"),
            Some("区域性")
        );
        assert_eq!(chinese_term(" No term here."), None);
        assert_eq!(chinese_term(" Unbalanced (深度"), None);
    }
}
