//! Text, Markdown and JSON views of a Plan; no decisions are made here.
