//! The flow panel: a small cumulative flow diagram of cards per column over the board's history.

use chronicle_board::{BoardProjections, MAX_COLUMNS, MAX_NAME, shown_text};
use chronicle_core::Uuid;
use leptos::prelude::*;

use super::board_context::BoardContext;

/// Points drawn along the history, however long it is.
const POINTS: usize = 120;
/// The diagram's box, in whole units so that its points format no fractions: a point every
/// [`STEP`] across, the most cards the board ever held [`HEIGHT`] high.
const STEP: u64 = 100;
const WIDTH: u64 = POINTS as u64 * STEP;
const HEIGHT: u64 = 10_000;
const COLOURS: [&str; 8] = ["#3f51b5", "#00897b", "#f9a825", "#8e24aa", "#e53935", "#43a047", "#6d4c41", "#546e7a"];

/// Stacked series, bottom to top: one polygon's points per column of the board as it is now, for
/// the columns the page draws (at most [`MAX_COLUMNS`]).
fn diagram(p: &BoardProjections) -> (Vec<(String, String, u32, &'static str)>, bool) {
    let columns: Vec<(Uuid, String)> = p
        .board
        .columns()
        .iter()
        .take(MAX_COLUMNS)
        .map(|c| (c.id, shown_text(&c.name, MAX_NAME).into_owned()))
        .collect();
    if p.flow.is_empty() || columns.is_empty() {
        return (Vec::new(), false);
    }
    let ids: Vec<Uuid> = columns.iter().map(|(id, _)| *id).collect();
    let end = p.position.max(1);
    // Counts per column at evenly spaced positions, so a long history costs no more to draw.
    let rows: Vec<Vec<u32>> =
        (0..=POINTS).map(|i| p.flow.counts_at((end * i as u64 / POINTS as u64).max(1), &ids)).collect();
    let top = u64::from(rows.iter().map(|r| r.iter().sum::<u32>()).max().unwrap_or(0).max(1));
    let point = |i: usize, count: &u32| format!("{},{}", i as u64 * STEP, HEIGHT - u64::from(*count) * HEIGHT / top);
    let mut below = vec![0u32; rows.len()];
    let mut series = Vec::new();
    // Done-like columns (the rightmost) sit at the bottom, as in any cumulative flow diagram.
    for (k, (_, name)) in columns.iter().enumerate().rev() {
        let upper: Vec<u32> = rows.iter().zip(&below).map(|(r, b)| b + r[k]).collect();
        let mut points: Vec<String> = upper.iter().enumerate().map(|(i, v)| point(i, v)).collect();
        points.extend(below.iter().enumerate().rev().map(|(i, v)| point(i, v)));
        let now = rows.last().map_or(0, |r| r[k]);
        series.push((name.clone(), points.join(" "), now, COLOURS[k % COLOURS.len()]));
        below = upper;
    }
    (series, true)
}

/// The panel beside the board.
#[component]
pub(crate) fn FlowPanel() -> impl IntoView {
    let context = expect_context::<BoardContext>();
    let drawn = Memo::new(move |_| context.shown.with(diagram));
    view! {
        <section class="panel flow" aria-labelledby="flow-heading">
            <h2 id="flow-heading">"Flow"</h2>
            {move || {
                let (series, any) = drawn.get();
                if !any {
                    return view! { <p class="small muted">"Cards per column over time appear here once the board has cards."</p> }.into_any();
                }
                let legend = series.clone();
                // While a past version is shown, a line marks where it is in the history.
                let cursor = move || {
                    let end = context.shown.with(|p| p.position).max(1);
                    context.viewing.get().map(|at| {
                        let x = (at.min(end) * WIDTH / end).to_string();
                        view! { <line class="cursor" x1=x.clone() x2=x y1="0" y2=HEIGHT.to_string() stroke="currentColor" stroke-width="2" vector-effect="non-scaling-stroke" /> }
                    })
                };
                view! {
                    <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="none" role="img" aria-label="Cumulative flow: cards per column over the board's history">
                        {series.into_iter().map(|(_, points, _, colour)| view! {
                            <polygon points=points fill=colour fill-opacity="0.75" stroke=colour stroke-width="0.3" vector-effect="non-scaling-stroke" />
                        }).collect_view()}
                        {cursor}
                    </svg>
                    <ul class="legend">
                        {legend.into_iter().rev().map(|(name, _, now, colour)| view! {
                            <li><span class="swatch" style=format!("background:{colour}")></span>{format!("{name}: {now}")}</li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
