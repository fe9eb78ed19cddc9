//! Pretty JSON, byte for byte as `serde_json` writes it, with the items of a large array
//! rendered on every core.
//!
//! A large cluster's JSON report holds a quarter of a million findings: rendering them on
//! one core was a sixth of a scan's time while the other cores idled. The object is
//! written field by field, and an array's items a few thousand at a time per thread, on
//! at most four threads, and written in order, so no more than four batches are held.

use serde::Serialize;
use serde_json::ser::Formatter;
use std::io::{self, Write};

/// Items one thread renders at a time.
const BATCH: usize = 2048;

/// Most threads that render at once: each holds a rendered batch (some 2.5 MB of a large
/// cluster's findings) until it is written, and the writer's disk is no faster for more.
const MOST_THREADS: usize = 4;

/// A top-level JSON object being written.
pub struct Object<W: Write> {
    out: W,
    first: bool,
}

impl<W: Write> Object<W> {
    pub fn start(mut out: W) -> io::Result<Object<W>> {
        out.write_all(b"{")?;
        Ok(Object { out, first: true })
    }

    fn key(&mut self, key: &str) -> io::Result<()> {
        self.out
            .write_all(if self.first { b"\n  " } else { b",\n  " })?;
        self.first = false;
        serde_json::to_writer(&mut self.out, key)?;
        self.out.write_all(b": ")
    }

    pub fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> io::Result<()> {
        self.key(key)?;
        write_value(&mut self.out, value, 1)
    }

    /// An array field whose items are rendered `BATCH` at a time on `threads` threads
    /// (at most [`MOST_THREADS`]).
    pub fn array<T: Serialize + Sync>(
        &mut self,
        key: &str,
        items: &[T],
        threads: usize,
    ) -> io::Result<()> {
        self.key(key)?;
        if items.is_empty() {
            return self.out.write_all(b"[]");
        }
        self.out.write_all(b"[")?;
        let mut first = true;
        for round in items.chunks(BATCH * threads.clamp(1, MOST_THREADS)) {
            let rendered: Vec<io::Result<Vec<u8>>> = std::thread::scope(|s| {
                let handles: Vec<_> = round
                    .chunks(BATCH)
                    .enumerate()
                    .map(|(i, batch)| {
                        let leading = first && i == 0;
                        s.spawn(move || render_items(batch, leading))
                    })
                    .collect();
                handles.into_iter().map(crate::cores::join).collect()
            });
            first = false;
            for part in rendered {
                self.out.write_all(&part?)?;
            }
        }
        self.out.write_all(b"\n  ]")
    }

    /// Closes the object, with the newline after it, and hands the writer back.
    pub fn finish(mut self) -> io::Result<W> {
        self.out
            .write_all(if self.first { b"}\n" } else { b"\n}\n" })?;
        Ok(self.out)
    }
}

/// Items of an array one level into the top-level object, each after its separator.
fn render_items<T: Serialize>(items: &[T], leading: bool) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        out.write_all(if leading && i == 0 {
            b"\n    "
        } else {
            b",\n    "
        })?;
        write_value(&mut out, item, 2)?;
    }
    Ok(out)
}

fn write_value<W: Write, T: Serialize + ?Sized>(
    out: &mut W,
    value: &T,
    level: usize,
) -> io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(out, Indented::at(level));
    value.serialize(&mut serializer).map_err(io::Error::from)
}

/// `serde_json`'s pretty layout (two spaces a level) for a value that starts `level`
/// levels in.
struct Indented {
    level: usize,
    has_value: bool,
}

impl Indented {
    fn at(level: usize) -> Indented {
        Indented {
            level,
            has_value: false,
        }
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.newline(w, false)?;
        }
        w.write_all(bracket)
    }

    fn newline<W: ?Sized + Write>(&self, w: &mut W, comma: bool) -> io::Result<()> {
        w.write_all(if comma { b",\n" } else { b"\n" })?;
        for _ in 0..self.level {
            w.write_all(b"  ")?;
        }
        Ok(())
    }
}

impl Formatter for Indented {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.newline(w, !first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.newline(w, !first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn written(items: &[serde_json::Value], threads: usize) -> String {
        let mut object = Object::start(Vec::new()).expect("start");
        object
            .field("before", &json!({"a": [], "b": {}, "c": [1, {"d": null}]}))
            .expect("field");
        object.array("items", items, threads).expect("array");
        object.field("after", &json!("x\ny")).expect("field");
        String::from_utf8(object.finish().expect("finish")).expect("UTF-8")
    }

    /// The same document as `serde_json` writes it whole, fields in the same order.
    fn expected(items: &[serde_json::Value]) -> String {
        #[derive(Serialize)]
        struct Doc<'a> {
            before: serde_json::Value,
            items: &'a [serde_json::Value],
            after: &'static str,
        }
        let doc = Doc {
            before: json!({"a": [], "b": {}, "c": [1, {"d": null}]}),
            items,
            after: "x\ny",
        };
        format!("{}\n", serde_json::to_string_pretty(&doc).expect("render"))
    }

    #[test]
    fn the_layout_is_serde_jsons_whatever_the_batches_and_threads() {
        let item = |i: usize| json!({"n": i, "list": [i, [], {}], "nested": {"deep": [{"x": "y"}]}, "empty": {}});
        for count in [0, 1, 2, BATCH - 1, BATCH, BATCH + 1, 3 * BATCH + 5] {
            let items: Vec<_> = (0..count).map(item).collect();
            for threads in [1, 2, 3] {
                assert!(
                    written(&items, threads) == expected(&items),
                    "{count} items on {threads} threads"
                );
            }
        }
    }
}
