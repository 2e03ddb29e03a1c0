//! Asking for the values not given, on a terminal, with the template's own prompts, choices
//! and defaults (read from its cargo-generate.toml, so the two never drift apart).

use crate::answers::Values;
use crate::template;
use anyhow::Result;

/// Asks for every value `values` lacks that the template would ask for, in the template's
/// order; a typed answer is checked as the flag would be, and asked again when refused.
pub fn ask_missing(values: &mut Values) -> Result<()> {
    let theme = dialoguer::theme::SimpleTheme;
    for (key, placeholder) in template::placeholders() {
        if values.has(&key) || !values.asks_for(&key) {
            continue;
        }
        let answer = if placeholder.choices.is_empty() {
            let checked = values.clone();
            dialoguer::Input::<String>::with_theme(&theme)
                .with_prompt(&placeholder.prompt)
                .default(placeholder.default.clone())
                .validate_with(|text: &String| checked.clone().set(&key, text))
                .interact_text()?
        } else {
            let default = placeholder
                .choices
                .iter()
                .position(|choice| *choice == placeholder.default)
                .unwrap_or(0);
            let index = dialoguer::Select::with_theme(&theme)
                .with_prompt(&placeholder.prompt)
                .items(&placeholder.choices)
                .default(default)
                .interact()?;
            placeholder.choices[index].clone()
        };
        values
            .set(&key, &answer)
            .map_err(|why| anyhow::anyhow!("{key}: {why}"))?;
    }
    Ok(())
}
