//! The YAML of one file as a stream of node events with their places: granit-parser (the
//! parser under serde-saphyr) does the parsing; this replays aliases and holds the file to
//! bounds on size, nesting and alias expansion, so that a hostile file is refused quickly.

use granit_parser::{Event, Parser, ScalarStyle, StrInput};
use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;

/// A place in a file: line and column, both from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1.
    pub column: usize,
}

/// One event of a node: a scalar, the start of a collection, or the end of one.
#[derive(Debug, Clone)]
pub enum Ev<'a> {
    /// A scalar: its text, and whether it was written plain (unquoted and untagged as a
    /// string), so that YAML may read it as a number, a boolean or null.
    Scalar(Cow<'a, str>, bool),
    /// The start of a sequence.
    SeqStart,
    /// The start of a mapping.
    MapStart,
    /// The end of the innermost sequence or mapping.
    End,
}

/// An error that ends the reading of a file: broken YAML or a bound exceeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Where it is.
    pub pos: Pos,
    /// What is wrong and what to do.
    pub message: String,
}

/// The most YAML nodes a file may hold: room for an export of 10,000 plans with all their
/// keys and tags (about 30 nodes a plan, plus one a key), yet a bound on time and memory.
pub const MAX_NODES: usize = 4_000_000;

/// The most anchors a file may hold (an export uses none).
pub const MAX_ANCHORS: usize = 10_000;

/// The most aliases a file may hold.
pub const MAX_ALIASES: usize = 10_000;

/// The most nodes aliases may replay in all, and the most nodes anchored values may hold in
/// all: an alias-expansion bomb stops there, in a fraction of a second.
pub const MAX_REPLAYED: usize = 100_000;

/// The deepest nesting a file may have: the format needs 8 levels (a method throttle's
/// field).
pub const MAX_DEPTH: usize = 24;

/// The events of an anchored node, and how many nodes they hold.
#[derive(Clone)]
struct Anchored<'a> {
    events: Rc<[Ev<'a>]>,
    nodes: usize,
}

/// An anchored collection being recorded.
struct Recording<'a> {
    /// Its anchor's id.
    id: usize,
    /// Its events so far.
    events: Vec<Ev<'a>>,
    /// The nodes among them.
    nodes: usize,
    /// The collections open in it; 0 once it ends.
    open: usize,
}

/// An alias being replayed: what its anchor holds, the next event's index, and where the
/// alias is, which is where its events are said to be.
struct Replay<'a> {
    events: Rc<[Ev<'a>]>,
    next: usize,
    at: Pos,
}

/// The node events of one YAML document.
pub struct Events<'a> {
    parser: Parser<'a, StrInput<'a>>,
    /// Each complete anchored node, by anchor id.
    anchors: HashMap<usize, Anchored<'a>>,
    /// Anchored collections being recorded, innermost last.
    recording: Vec<Recording<'a>>,
    /// The alias being replayed, if any (an alias holds no alias: its anchor's events are
    /// recorded with the aliases in them replayed).
    replaying: Option<Replay<'a>>,
    depth: usize,
    nodes: usize,
    aliases: usize,
    replayed: usize,
    recorded: usize,
    documents: usize,
}

impl<'a> Events<'a> {
    /// The events of `text`.
    pub fn new(text: &'a str) -> Events<'a> {
        Events {
            parser: Parser::new_from_str(text),
            anchors: HashMap::new(),
            recording: Vec::new(),
            replaying: None,
            depth: 0,
            nodes: 0,
            aliases: 0,
            replayed: 0,
            recorded: 0,
            documents: 0,
        }
    }

    /// The next node event; `None` at the end of the file.
    pub fn next(&mut self) -> Result<Option<(Ev<'a>, Pos)>, Fault> {
        let (event, pos) = match self.replay() {
            Some(next) => next,
            None => match self.parse()? {
                Some(next) => next,
                None => return Ok(None),
            },
        };
        match event {
            Ev::SeqStart | Ev::MapStart => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(fault(
                        pos,
                        format!(
                            "the YAML nests deeper than {MAX_DEPTH} levels (the format needs 8); \
                             flatten it"
                        ),
                    ));
                }
            }
            Ev::End => self.depth = self.depth.saturating_sub(1),
            Ev::Scalar(..) => {}
        }
        if !matches!(event, Ev::End) {
            self.nodes += 1;
            if self.nodes > MAX_NODES {
                return Err(fault(
                    pos,
                    format!(
                        "the file holds more than {MAX_NODES} YAML nodes; split the plans into \
                         several files in a folder"
                    ),
                ));
            }
        }
        self.record(&event, pos)?;
        Ok(Some((event, pos)))
    }

    /// The next event of the alias being replayed, if any.
    fn replay(&mut self) -> Option<(Ev<'a>, Pos)> {
        let replay = self.replaying.as_mut()?;
        match replay.events.get(replay.next) {
            Some(event) => {
                replay.next += 1;
                Some((event.clone(), replay.at))
            }
            None => {
                self.replaying = None;
                None
            }
        }
    }

    /// The next node event from the parser, starting an alias's replay or an anchor's
    /// recording where the event says so.
    fn parse(&mut self) -> Result<Option<(Ev<'a>, Pos)>, Fault> {
        loop {
            let (event, span) = match self.parser.next_event() {
                None => return Ok(None),
                Some(Err(error)) => {
                    let marker = error.marker();
                    return Err(fault(
                        Pos {
                            line: marker.line(),
                            column: marker.col() + 1,
                        },
                        format!("the YAML is broken: {}", error.info()),
                    ));
                }
                Some(Ok(next)) => next,
            };
            let pos = Pos {
                line: span.start.line(),
                column: span.start.col() + 1,
            };
            let (node, anchor) = match event {
                Event::Scalar(text, style, anchor, tag) => {
                    // A core tag says how to read the scalar; any other tag is ignored.
                    let plain = match tag.as_ref().and_then(|tag| tag.core_suffix()) {
                        Some("str") => false,
                        Some("int" | "float" | "bool" | "null") => true,
                        _ => style == ScalarStyle::Plain,
                    };
                    (Ev::Scalar(text, plain), anchor)
                }
                Event::SequenceStart(_, anchor, _) => (Ev::SeqStart, anchor),
                Event::MappingStart(_, anchor, _) => (Ev::MapStart, anchor),
                Event::SequenceEnd | Event::MappingEnd => (Ev::End, 0),
                Event::Alias(id) => {
                    self.alias(id, pos)?;
                    match self.replay() {
                        Some(next) => return Ok(Some(next)),
                        None => continue,
                    }
                }
                Event::UnresolvedAlias(name) => {
                    return Err(fault(
                        pos,
                        format!(
                            "the alias `*{name}` names no anchor before it; write the value out"
                        ),
                    ))
                }
                Event::DocumentStart(..) => {
                    self.documents += 1;
                    if self.documents > 1 {
                        return Err(fault(
                            pos,
                            "a file holds one YAML document; move what follows `---` to a file \
                             of its own"
                                .to_owned(),
                        ));
                    }
                    continue;
                }
                Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Anchor(..) => {
                    continue
                }
                // An event of a later parser version: refused rather than skipped, since
                // skipping a node would put the reader out of step.
                _ => {
                    return Err(fault(
                        pos,
                        "the YAML holds something tollgate cannot read; write it plainly"
                            .to_owned(),
                    ))
                }
            };
            if anchor != 0 {
                self.anchor(anchor, &node, pos)?;
            }
            return Ok(Some((node, pos)));
        }
    }

    /// Starts replaying the node anchored as `id`, at the alias's place `pos`.
    fn alias(&mut self, id: usize, pos: Pos) -> Result<(), Fault> {
        self.aliases += 1;
        if self.aliases > MAX_ALIASES {
            return Err(fault(
                pos,
                format!("the file holds more than {MAX_ALIASES} aliases; write the values out"),
            ));
        }
        let Some(anchored) = self.anchors.get(&id).cloned() else {
            return Err(fault(
                pos,
                "the alias refers to a node that holds it; write the value out".to_owned(),
            ));
        };
        self.replayed += anchored.nodes;
        if self.replayed > MAX_REPLAYED {
            return Err(fault(
                pos,
                format!(
                    "aliases replay more than {MAX_REPLAYED} nodes (an alias-expansion bomb?); \
                     write the values out"
                ),
            ));
        }
        self.replaying = Some(Replay {
            events: anchored.events,
            next: 0,
            at: pos,
        });
        Ok(())
    }

    /// Keeps an anchored scalar, or starts recording an anchored collection.
    fn anchor(&mut self, id: usize, node: &Ev<'a>, pos: Pos) -> Result<(), Fault> {
        if self.anchors.len() + self.recording.len() >= MAX_ANCHORS {
            return Err(fault(
                pos,
                format!("the file holds more than {MAX_ANCHORS} anchors; write the values out"),
            ));
        }
        match node {
            Ev::Scalar(..) => {
                let anchored = Anchored {
                    events: Rc::from([node.clone()]),
                    nodes: 1,
                };
                self.anchors.insert(id, anchored);
            }
            // The start event is recorded with the other events of the node, by `record`.
            _ => self.recording.push(Recording {
                id,
                events: Vec::new(),
                nodes: 0,
                open: 0,
            }),
        }
        Ok(())
    }

    /// Adds an event to every anchored collection being recorded, keeping those it ends.
    fn record(&mut self, event: &Ev<'a>, pos: Pos) -> Result<(), Fault> {
        let node = !matches!(event, Ev::End);
        if node {
            self.recorded += self.recording.len();
            if self.recorded > MAX_REPLAYED {
                return Err(fault(
                    pos,
                    format!(
                        "anchored values hold more than {MAX_REPLAYED} nodes in all; write the \
                         values out"
                    ),
                ));
            }
        }
        for recording in &mut self.recording {
            recording.events.push(event.clone());
            recording.nodes += usize::from(node);
            match event {
                Ev::SeqStart | Ev::MapStart => recording.open += 1,
                Ev::End => recording.open -= 1,
                Ev::Scalar(..) => {}
            }
        }
        while self
            .recording
            .last()
            .is_some_and(|recording| recording.open == 0)
        {
            if let Some(recording) = self.recording.pop() {
                let anchored = Anchored {
                    events: Rc::from(recording.events),
                    nodes: recording.nodes,
                };
                self.anchors.insert(recording.id, anchored);
            }
        }
        Ok(())
    }
}

fn fault(pos: Pos, message: String) -> Fault {
    Fault { pos, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(text: &str) -> Result<Vec<String>, Fault> {
        let mut events = Events::new(text);
        let mut seen = Vec::new();
        while let Some((event, pos)) = events.next()? {
            let what = match event {
                Ev::Scalar(text, plain) => format!("{text}{}", if plain { "" } else { "'" }),
                Ev::SeqStart => "[".to_owned(),
                Ev::MapStart => "{".to_owned(),
                Ev::End => "]".to_owned(),
            };
            seen.push(format!("{what}@{}:{}", pos.line, pos.column));
        }
        Ok(seen)
    }

    #[test]
    fn events_know_where_they_start_and_whether_they_were_quoted() {
        assert_eq!(
            events("a:\n  - x: 1\n    y: ['2', !!str 3]\n").ok(),
            Some(
                [
                    "{@1:1", "a@1:1", "[@2:3", "{@2:5", "x@2:5", "1@2:8", "y@3:5", "[@3:8",
                    "2'@3:9", "3'@3:20", "]@3:21", "]@4:1", "]@4:1", "]@4:1"
                ]
                .map(str::to_owned)
                .to_vec()
            )
        );
        assert_eq!(events("").ok(), Some(vec![]));
        assert_eq!(events("# only a comment\n").ok(), Some(vec![]));
    }

    #[test]
    fn aliases_replay_what_their_anchor_holds() {
        let seen = events("a: &t {r: 1}\nb: *t\nc: &s x\nd: *s\n").expect("valid");
        let texts: Vec<&str> = seen
            .iter()
            .map(|event| event.split('@').next().unwrap_or(""))
            .collect();
        assert_eq!(
            texts,
            ["{", "a", "{", "r", "1", "]", "b", "{", "r", "1", "]", "c", "x", "d", "x", "]"]
        );
    }

    #[test]
    fn what_an_alias_replays_is_where_the_alias_is() {
        let seen = events("a: &t {r: 1}\nb: *t\n").expect("valid");
        assert_eq!(
            seen[7..12],
            ["{@2:4", "r@2:4", "1@2:4", "]@2:4", "]@3:1"].map(str::to_owned)
        );
    }

    #[test]
    fn core_tags_say_how_a_scalar_reads_and_an_unknown_alias_is_a_fault() {
        let seen = events("[!!int '5', !!str 5, !custom x]\n").expect("valid");
        assert_eq!(
            seen[1..4],
            ["5@1:8", "5'@1:19", "x@1:30"].map(str::to_owned)
        );
        let fault = events("a: *nowhere\n").expect_err("no anchor");
        assert_eq!(fault.pos, Pos { line: 1, column: 4 });
    }

    #[test]
    fn broken_yaml_and_a_second_document_are_located_faults() {
        let broken = events("a: [1, 2\nb: 3\n").expect_err("broken");
        assert_eq!(broken.pos.line, 2, "{broken:?}");
        assert!(broken.message.starts_with("the YAML is broken: "));
        let second = events("a: 1\n---\nb: 2\n").expect_err("two documents");
        assert_eq!(second.pos, Pos { line: 2, column: 1 });
    }

    #[test]
    fn bounds_stop_deep_nesting_and_alias_bombs() {
        let deep = format!("{}{}", "[".repeat(30), "]".repeat(30));
        let fault = events(&deep).expect_err("too deep");
        assert_eq!(
            fault.pos,
            Pos {
                line: 1,
                column: 25
            }
        );
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (name, previous) in [("b", "a"), ("c", "b"), ("d", "c"), ("e", "d"), ("f", "e")] {
            let items = vec![format!("*{previous}"); 10].join(", ");
            bomb.push_str(&format!("{name}: &{name} [{items}]\n"));
        }
        let fault = events(&bomb).expect_err("a bomb");
        assert!(fault.message.contains("100000"), "{fault:?}");
    }
}
