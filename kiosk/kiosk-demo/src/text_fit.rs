// SPDX-License-Identifier: GPL-3.0-or-later
//! Whether every text on the screen fits its box: a text that is cut off,
//! elided ("…"), or runs out of its box into its neighbours is a defect in
//! any language. Each visible text element is measured with Slint's own
//! layout of that text (the renderer's fonts and shaping) and compared
//! with the geometry the layout gave it.

use i_slint_core::item_tree::{ItemRc, ParentItemTraversalMode};
use i_slint_core::items::{ComplexText, Item, Orientation, SimpleText, TextOverflow, TextWrap};
use i_slint_core::window::WindowInner;
use slint::ComponentHandle;
use std::ops::ControlFlow;

/// Half a pixel: layouts round to whole pixels.
const SLACK: f32 = 0.5;

/// A text that does not fit its box.
#[derive(Debug, Clone, PartialEq)]
pub struct Misfit {
    /// What it says.
    pub text: String,
    /// Its box on the screen: x, y, width, height.
    pub bounds: (f32, f32, f32, f32),
    /// What it would need: width (of the longest word, when it wraps) and height.
    pub needs: (f32, f32),
    /// Why it does not fit.
    pub problem: &'static str,
}

/// Every visible text on the screen of `app` that does not fit its box.
pub fn misfits(app: &impl ComponentHandle) -> Vec<Misfit> {
    let inner = WindowInner::from_pub(app.window());
    let adapter = inner.window_adapter();
    let mut found = Vec::new();
    ItemRc::new_root(inner.component()).visit_descendants(|item: &ItemRc| -> ControlFlow<()> {
        if !item.is_visible() {
            return ControlFlow::Continue(());
        }
        let measured = if let Some(text) = item.downcast::<ComplexText>() {
            let text = text.as_pin_ref();
            let (wrap, overflow) = (text.wrap(), text.overflow());
            let words = text.as_ref().layout_info(Orientation::Horizontal, -1.0, &adapter, item);
            let width = item.geometry().width();
            let lines = text.as_ref().layout_info(Orientation::Vertical, width, &adapter, item);
            Some((text.text().to_string(), wrap, overflow, words.min, words.preferred, lines.preferred))
        } else if let Some(text) = item.downcast::<SimpleText>() {
            let text = text.as_pin_ref();
            let words = text.as_ref().layout_info(Orientation::Horizontal, -1.0, &adapter, item);
            let lines = text.as_ref().layout_info(Orientation::Vertical, -1.0, &adapter, item);
            Some((
                text.text().to_string(),
                TextWrap::NoWrap,
                TextOverflow::Clip,
                words.min,
                words.preferred,
                lines.preferred,
            ))
        } else {
            None
        };
        let Some((text, wrap, overflow, min_width, one_line, height_needed)) = measured else {
            return ControlFlow::Continue(());
        };
        let geometry = item.geometry();
        let (width, height) = (geometry.width(), geometry.height());
        if text.trim().is_empty() || width <= 0.0 || height <= 0.0 {
            return ControlFlow::Continue(());
        }
        let origin = item.map_to_window(geometry.origin);
        let outside = container(item).is_some_and(|(x, y, w, h)| {
            origin.x < x - SLACK
                || origin.y < y - SLACK
                || origin.x + width > x + w + SLACK
                || origin.y + height > y + h + SLACK
        });
        let problem = match wrap {
            TextWrap::NoWrap if one_line > width + SLACK => {
                Some(if overflow == TextOverflow::Elide { "elided" } else { "wider than its box" })
            }
            TextWrap::WordWrap if min_width > width + SLACK => Some("a word is wider than its box"),
            _ if height_needed > height + SLACK => Some("taller than its box"),
            _ if outside => Some("outside the element that holds it"),
            _ => None,
        };
        if let Some(problem) = problem {
            let needs = (if wrap == TextWrap::NoWrap { one_line } else { min_width }, height_needed);
            found.push(Misfit { text, bounds: (origin.x, origin.y, width, height), needs, problem });
        }
        ControlFlow::Continue(())
    });
    found
}

/// The box, on the screen, of the nearest element around `item` that has a
/// size (a text without a size of its own takes its natural size, which
/// may then spill out of its button).
fn container(item: &ItemRc) -> Option<(f32, f32, f32, f32)> {
    let mut parent = item.parent_item(ParentItemTraversalMode::StopAtPopups);
    while let Some(p) = parent {
        let g = p.geometry();
        if g.width() > 0.0 && g.height() > 0.0 {
            let o = p.map_to_window(g.origin);
            return Some((o.x, o.y, g.width(), g.height()));
        }
        parent = p.parent_item(ParentItemTraversalMode::StopAtPopups);
    }
    None
}
