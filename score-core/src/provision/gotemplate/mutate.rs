//! sprig's `set`, `unset`, `merge` and `mergeOverwrite` change the map they are given; template
//! values here cannot change. So that the idiom `{{ $_ := set $d "k" "v" }}` still leaves `$d`
//! changed, each such call whose first argument is a plain variable is moved, when the template
//! is compiled, into an assignment to that variable just before the action (`{{ $d = set $d
//! "k" "v" }}`), and the call itself is replaced by the variable (`{{ $_ := $d }}`). Go's
//! variable assignment reaches out of `range`/`if`/`with` blocks, as the change to the map does.
//!
//! What stays different: another name for the same map (a second variable, a field of `.`)
//! keeps the old value, and calls that are not first in their pipeline, or sit inside `and`/`or`
//! (which may skip them), are left alone.

use gotmpl::parse::{ActionNode, CommandNode, Expr, Node, PipeNode, SmolStr};

/// The sprig functions that change their first argument.
const MUTATING: &[&str] = &["set", "unset", "merge", "mergeOverwrite"];

/// `pipe` with its mutating calls replaced by their variable; the assignments that must run
/// first are appended to `before`, innermost first (Go evaluates arguments before the call).
pub(super) fn hoist(pipe: &PipeNode, before: &mut Vec<Node>) -> PipeNode {
    let mut commands = Vec::with_capacity(pipe.commands.len());
    for (i, cmd) in pipe.commands.iter().enumerate() {
        let short_circuit = matches!(
            cmd.args.first(),
            Some(Expr::Identifier(_, f)) if f == "and" || f == "or"
        );
        let args: Vec<Expr> = if short_circuit {
            cmd.args.clone()
        } else {
            cmd.args.iter().map(|e| hoist_expr(e, before)).collect()
        };
        let command = CommandNode { pos: cmd.pos, args };
        match mutated_variable(&command) {
            Some(var) if i == 0 => {
                before.push(assignment(&var, command.clone()));
                commands.push(CommandNode {
                    pos: cmd.pos,
                    args: vec![Expr::Variable(cmd.pos, var, Vec::new())],
                });
            }
            _ => commands.push(command),
        }
    }
    PipeNode {
        pos: pipe.pos,
        decl: pipe.decl.clone(),
        commands,
        is_assign: pipe.is_assign,
    }
}

fn hoist_expr(e: &Expr, before: &mut Vec<Node>) -> Expr {
    match e {
        Expr::Pipe(pos, p) => Expr::Pipe(*pos, hoist(p, before)),
        Expr::Chain(pos, inner, fields) => {
            Expr::Chain(*pos, Box::new(hoist_expr(inner, before)), fields.clone())
        }
        other => other.clone(),
    }
}

/// `$v` when `cmd` is `set $v …`, `merge $v …` and the like (a variable without fields, not `$`).
fn mutated_variable(cmd: &CommandNode) -> Option<SmolStr> {
    match cmd.args.as_slice() {
        [Expr::Identifier(_, f), Expr::Variable(_, var, fields), ..]
            if MUTATING.contains(&f.as_str()) && fields.is_empty() && var != "$" =>
        {
            Some(var.clone())
        }
        _ => None,
    }
}

/// `{{ $var = <cmd> }}`.
fn assignment(var: &SmolStr, cmd: CommandNode) -> Node {
    let pos = cmd.pos;
    Node::Action(ActionNode {
        pos,
        pipe: PipeNode {
            pos,
            decl: vec![var.clone()],
            commands: vec![cmd],
            is_assign: true,
        },
    })
}
