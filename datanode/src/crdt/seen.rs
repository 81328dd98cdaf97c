//! `Seen`: the one question a join asks of a causal context, "was this dot observed?".

use super::context::CausalContext;
use super::dot::Dot;

pub trait Seen {
    fn seen(&self, dot: &Dot) -> bool;
}

impl Seen for CausalContext {
    fn seen(&self, dot: &Dot) -> bool {
        self.contains(dot)
    }
}

/// The dots a single mutation's delta covers: its new dot(s) and the dots it removed.
/// Kept sorted so `seen` is a binary search; deltas from one command are small.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "Vec<Dot>")]
pub struct DotList(Vec<Dot>);

impl DotList {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, dot: Dot) {
        match self.0.binary_search(&dot) {
            Ok(_) => {}
            Err(at) => self.0.insert(at, dot),
        }
    }

    pub fn extend<I: IntoIterator<Item = Dot>>(&mut self, dots: I) {
        self.0.extend(dots);
        self.0.sort_unstable();
        self.0.dedup();
    }

    pub fn iter(&self) -> impl Iterator<Item = &Dot> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Seen by either of two: a delta's own dots, or the context it carries.
pub struct Either<'a>(pub &'a DotList, pub &'a dyn Seen);

impl Seen for Either<'_> {
    fn seen(&self, dot: &Dot) -> bool {
        self.0.seen(dot) || self.1.seen(dot)
    }
}

/// Decoding normalises: a list from the wire may be unsorted or hold duplicates.
impl From<Vec<Dot>> for DotList {
    fn from(mut dots: Vec<Dot>) -> Self {
        dots.sort_unstable();
        dots.dedup();
        DotList(dots)
    }
}

impl Seen for DotList {
    fn seen(&self, dot: &Dot) -> bool {
        self.0.binary_search(dot).is_ok()
    }
}
