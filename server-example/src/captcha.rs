//! The image captcha of the SMS-code sign-in (manual 1.3.1, 1.3.2.3): the platform issues the
//! answer ([`eseal::platform::Platform::issue_captcha`]); this draws it as a PNG a person
//! reads and a script does not read for free — glyphs at random offsets and colours,
//! crossed by random lines, over random dots.

const GLYPHS: &[(char, [u8; 7])] = &[
    (
        'A',
        [
            0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001,
        ],
    ),
    (
        'B',
        [
            0b11110, 0b10001, 0b10001, 0b11110, 0b10001, 0b10001, 0b11110,
        ],
    ),
    (
        'C',
        [
            0b01110, 0b10001, 0b10000, 0b10000, 0b10000, 0b10001, 0b01110,
        ],
    ),
    (
        'D',
        [
            0b11110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b11110,
        ],
    ),
    (
        'E',
        [
            0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111,
        ],
    ),
    (
        'F',
        [
            0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000,
        ],
    ),
    (
        'G',
        [
            0b01110, 0b10001, 0b10000, 0b10111, 0b10001, 0b10001, 0b01111,
        ],
    ),
    (
        'H',
        [
            0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001,
        ],
    ),
    (
        'J',
        [
            0b00111, 0b00010, 0b00010, 0b00010, 0b00010, 0b10010, 0b01100,
        ],
    ),
    (
        'K',
        [
            0b10001, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010, 0b10001,
        ],
    ),
    (
        'M',
        [
            0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001,
        ],
    ),
    (
        'N',
        [
            0b10001, 0b10001, 0b11001, 0b10101, 0b10011, 0b10001, 0b10001,
        ],
    ),
    (
        'P',
        [
            0b11110, 0b10001, 0b10001, 0b11110, 0b10000, 0b10000, 0b10000,
        ],
    ),
    (
        'Q',
        [
            0b01110, 0b10001, 0b10001, 0b10001, 0b10101, 0b10010, 0b01101,
        ],
    ),
    (
        'R',
        [
            0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001,
        ],
    ),
    (
        'S',
        [
            0b01111, 0b10000, 0b10000, 0b01110, 0b00001, 0b00001, 0b11110,
        ],
    ),
    (
        'T',
        [
            0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100,
        ],
    ),
    (
        'U',
        [
            0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110,
        ],
    ),
    (
        'V',
        [
            0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100,
        ],
    ),
    (
        'W',
        [
            0b10001, 0b10001, 0b10001, 0b10101, 0b10101, 0b10101, 0b01010,
        ],
    ),
    (
        'X',
        [
            0b10001, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001, 0b10001,
        ],
    ),
    (
        'Y',
        [
            0b10001, 0b10001, 0b01010, 0b00100, 0b00100, 0b00100, 0b00100,
        ],
    ),
    (
        'Z',
        [
            0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b11111,
        ],
    ),
    (
        '2',
        [
            0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111,
        ],
    ),
    (
        '3',
        [
            0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110,
        ],
    ),
    (
        '4',
        [
            0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010,
        ],
    ),
    (
        '5',
        [
            0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110,
        ],
    ),
    (
        '6',
        [
            0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110,
        ],
    ),
    (
        '7',
        [
            0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000,
        ],
    ),
    (
        '8',
        [
            0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110,
        ],
    ),
    (
        '9',
        [
            0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100,
        ],
    ),
];

pub const WIDTH: u32 = 160;
pub const HEIGHT: u32 = 60;

struct Rng(Vec<u8>, usize);

impl Rng {
    fn new(n: usize) -> Result<Rng, getrandom::Error> {
        let mut b = vec![0u8; n];
        getrandom::fill(&mut b)?;
        Ok(Rng(b, 0))
    }
    fn next(&mut self, below: u32) -> u32 {
        let v = self.0.get(self.1).copied().unwrap_or(0);
        self.1 += 1;
        u32::from(v) % below.max(1)
    }
}

/// Draws `answer` (letters and digits of the platform's alphabet) as a PNG.
pub fn render(answer: &str) -> Result<Vec<u8>, String> {
    let (w, h) = (WIDTH as usize, HEIGHT as usize);
    let mut px = vec![0u8; w * h * 3];
    let mut rng = Rng::new(4096).map_err(|e| e.to_string())?;
    for p in px.chunks_mut(3) {
        p.copy_from_slice(&[240, 244, 248]);
    }
    let put = |px: &mut [u8], x: i64, y: i64, c: [u8; 3]| {
        if (0..w as i64).contains(&x) && (0..h as i64).contains(&y) {
            let i = (y as usize * w + x as usize) * 3;
            px[i..i + 3].copy_from_slice(&c);
        }
    };
    for _ in 0..400 {
        let (x, y) = (rng.next(WIDTH), rng.next(HEIGHT));
        let g = 150 + rng.next(80) as u8;
        put(&mut px, i64::from(x), i64::from(y), [g, g, g]);
    }
    for (i, ch) in answer.chars().enumerate() {
        let up = ch.to_ascii_uppercase();
        let Some((_, rows)) = GLYPHS.iter().find(|(c, _)| *c == up) else {
            return Err(format!("no glyph for {ch:?}"));
        };
        let scale = 4 + i64::from(rng.next(2));
        let x0 = 8 + i as i64 * 29 + i64::from(rng.next(6));
        let y0 = 6 + i64::from(rng.next(14));
        let slant = i64::from(rng.next(3)) - 1;
        let colour = [
            rng.next(120) as u8,
            rng.next(120) as u8,
            80 + rng.next(120) as u8,
        ];
        for (ry, bits) in rows.iter().enumerate() {
            for rx in 0..5 {
                if bits & (0b10000 >> rx) != 0 {
                    for dy in 0..scale {
                        for dx in 0..scale {
                            let y = y0 + ry as i64 * scale + dy;
                            let x = x0 + rx * scale + dx + slant * (6 - ry as i64);
                            put(&mut px, x, y, colour);
                        }
                    }
                }
            }
        }
    }
    for _ in 0..5 {
        let (mut x, mut y) = (rng.next(WIDTH) as f64, rng.next(HEIGHT) as f64);
        let (x1, y1) = (rng.next(WIDTH) as f64, rng.next(HEIGHT) as f64);
        let c = [
            rng.next(200) as u8,
            rng.next(200) as u8,
            rng.next(200) as u8,
        ];
        let steps = 200.0;
        let (dx, dy) = ((x1 - x) / steps, (y1 - y) / steps);
        for _ in 0..200 {
            put(&mut px, x as i64, y as i64, c);
            x += dx;
            y += dy;
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, WIDTH, HEIGHT);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().map_err(|e| e.to_string())?;
        wr.write_image_data(&px).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn draws_every_character_of_the_platform_alphabet() {
        let png = super::render("abcdefghjkmnpqrstuvwxyz23456789").unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        let a = super::render("ab2c9").unwrap();
        let b = super::render("ab2c9").unwrap();
        assert_ne!(a, b, "the same answer is drawn differently each time");
        assert!(super::render("a!").is_err());
    }
}
