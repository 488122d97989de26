//! Copying to the clipboard of the terminal the user sits at, over SSH and tmux: the OSC 52
//! escape sequence (xterm's "Manipulate Selection Data": `ESC ] 52 ; c ; <base64> BEL`).
//! Only a key press (`y` / `Y`) ever builds one, and only from the value the user chose; the
//! value travels base64-encoded, so nothing in it can act as a control sequence.

use base64::Engine as _;

/// The most bytes of text one copy sends. Terminals cap OSC 52 (xterm and tmux accept about
/// 100 kB of base64 by default; some far less); above this the user is told to export instead.
pub const MAX_COPY_BYTES: usize = 74_000;

/// Where the console runs, which decides how the sequence must be wrapped to reach the outer
/// terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Multiplexer {
    None,
    /// tmux (`$TMUX` set): the sequence is sent twice — plain, which tmux takes when
    /// `set-clipboard` is on (its own buffer, forwarded outward), and wrapped in tmux's DCS
    /// passthrough (`ESC P tmux; … ESC \`, inner ESCs doubled), which reaches the outer terminal
    /// when `allow-passthrough` is on.
    Tmux,
    /// GNU screen (`$STY` set): DCS passthrough in chunks screen accepts.
    Screen,
}

impl Multiplexer {
    /// Reads `$TMUX` and `$STY`.
    pub fn detect() -> Multiplexer {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        if set("TMUX") {
            Multiplexer::Tmux
        } else if set("STY") {
            Multiplexer::Screen
        } else {
            Multiplexer::None
        }
    }
}

/// Why a copy was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyError {
    /// The text is larger than `MAX_COPY_BYTES` (its size in bytes).
    TooLarge(usize),
}

/// The bytes to write to the terminal to put `text` on its clipboard.
pub fn osc52(text: &str, multiplexer: Multiplexer) -> Result<Vec<u8>, CopyError> {
    if text.len() > MAX_COPY_BYTES {
        return Err(CopyError::TooLarge(text.len()));
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let plain = format!("\x1b]52;c;{encoded}\x07");
    Ok(match multiplexer {
        Multiplexer::None => plain.into_bytes(),
        Multiplexer::Tmux => {
            let wrapped = format!("\x1bPtmux;{}\x1b\\", plain.replace('\x1b', "\x1b\x1b"));
            format!("{plain}{wrapped}").into_bytes()
        }
        Multiplexer::Screen => {
            // screen passes at most about 768 bytes of one DCS string through.
            let mut out = String::new();
            let bytes = plain.as_bytes();
            for chunk in bytes.chunks(760) {
                out.push_str("\x1bP");
                // The sequence is ASCII, so any chunk boundary is a character boundary.
                out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
                out.push_str("\x1b\\");
            }
            out.into_bytes()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_travels_base64_encoded() {
        let hostile = "a\x1b]0;pwned\x07b";
        let bytes = osc52(hostile, Multiplexer::None).unwrap();
        assert_eq!(bytes, b"\x1b]52;c;YRtdMDtwd25lZAdi\x07");
        // Exactly one ESC and one BEL: the sequence's own.
        assert_eq!(bytes.iter().filter(|b| **b == 0x1b).count(), 1);
    }

    #[test]
    fn tmux_gets_the_plain_and_the_passthrough_form() {
        let bytes = String::from_utf8(osc52("x", Multiplexer::Tmux).unwrap()).unwrap();
        assert_eq!(
            bytes,
            "\x1b]52;c;eA==\x07\x1bPtmux;\x1b\x1b]52;c;eA==\x07\x1b\\"
        );
    }

    #[test]
    fn screen_gets_chunks() {
        let text = "y".repeat(2000);
        let bytes = String::from_utf8(osc52(&text, Multiplexer::Screen).unwrap()).unwrap();
        assert!(bytes.starts_with("\x1bP\x1b]52;c;"));
        assert_eq!(
            bytes.matches("\x1bP").count(),
            bytes.matches("\x1b\\").count()
        );
        assert!(bytes.matches("\x1bP").count() >= 4);
    }

    #[test]
    fn large_values_are_refused() {
        let text = "z".repeat(MAX_COPY_BYTES + 1);
        assert_eq!(
            osc52(&text, Multiplexer::None),
            Err(CopyError::TooLarge(MAX_COPY_BYTES + 1))
        );
        assert!(osc52(&"z".repeat(MAX_COPY_BYTES), Multiplexer::None).is_ok());
    }
}
