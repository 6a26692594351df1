//! The boilerplate every validated string type shares.

/// Declares a validated string newtype: private field, `FromStr`,
/// `TryFrom<String>`, `TryFrom<&str>`, serde through the checking
/// constructor, `as_str`, `Display` and `AsRef<str>`.
///
/// `$parse` is a `fn(&str) -> Result<String, ValidationError>` that returns
/// the normalised text.
macro_rules! validated_string {
    ($(#[$meta:meta])* $name:ident, $parse:path) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The validated, normalised text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl core::str::FromStr for $name {
            type Err = $crate::validation::ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $parse(s).map(Self)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::validation::ValidationError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl TryFrom<&str> for $name {
            type Error = $crate::validation::ValidationError;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

pub(crate) use validated_string;
