//! README.md and docs/: every relative link resolves to a file of the repository, and every
//! `#anchor` to a heading of the page it points into (GitHub's slugs), so a moved section or
//! page cannot leave a newcomer at a dead link.
use crate::helpers::workspace_root;
use std::path::{Path, PathBuf};

fn pages() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut pages = vec![root.join("README.md"), root.join("CHANGELOG.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    pages.into_iter().filter(|p| p.exists()).collect()
}

/// `[text](target)` targets, outside code blocks and code spans.
fn links(markdown: &str) -> Vec<String> {
    let mut found = vec![];
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            found.push(after[..end].trim().to_owned());
            rest = &after[end..];
        }
    }
    found
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(page: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(page).unwrap_or_default();
    text.lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| slug(l.trim_start_matches('#')))
        .collect()
}

#[test]
fn every_relative_link_in_the_docs_resolves() {
    let pages = pages();
    assert!(pages.len() >= 5, "README and the docs pages: {pages:?}");
    let mut dead = vec![];
    let mut checked = 0;
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for link in links(&text) {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (path, anchor) = link
                .split_once('#')
                .map_or((link.as_str(), None), |(p, a)| (p, Some(a)));
            let target = if path.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(path)
            };
            if !target.exists() {
                dead.push(format!("{}: {link} (no such file)", page.display()));
            } else if let Some(anchor) = anchor
                && target.is_file()
                && !anchors(&target).iter().any(|a| a == anchor)
            {
                dead.push(format!("{}: {link} (no such heading)", page.display()));
            }
        }
    }
    assert!(checked >= 6, "README links to the docs pages");
    assert!(dead.is_empty(), "dead links:\n{}", dead.join("\n"));
}

#[test]
fn the_link_checker_sees_links_and_slugs_as_github_does() {
    assert_eq!(
        links("see [a](docs/a.md) and `[b](x)` and [c](b.md#d-e)"),
        ["docs/a.md", "b.md#d-e"]
    );
    assert_eq!(slug(" Every cent reconciles"), "every-cent-reconciles");
    assert_eq!(
        slug("Running it as a service (`deploy/`)"),
        "running-it-as-a-service-deploy"
    );
}
