/**
 * Fast expression layer, parsing: a small recursive-descent parser from LaTeX math tokens
 * (expr-tokens.ts) to an expression tree (`Node`), evaluated by expr-eval.ts and, for constant
 * rational expressions, exactly by exact.ts.
 *
 * Decides most symbolic pairs (`\frac{\sqrt3}{2}` vs `\frac{\sqrt{3}}{2}`, `2\pi` vs `\pi\cdot 2`,
 * `(x+1)^2` vs `x^2+2x+1`) without the symbolic engine. Anything it does not understand throws
 * `ExprError` and goes to the symbolic worker; anything too deep throws `RefusedError` (the verdict is
 * then `timeout`, the cheap refusal of the isolation rule).
 */
import { tokenize, FUNCTIONS, GREEK, ACCENTS, MUL_OPS, type Tok } from "./expr-tokens.js";

export class ExprError extends Error {
  override name = "ExprError";
}
/** a cheap refusal: the verdict is `timeout` with `rule` (nesting too deep, a number too large to decide) */
export class RefusedError extends Error {
  override name = "RefusedError";
  constructor(
    message: string,
    readonly rule: string = "refused:depth",
  ) {
    super(message);
  }
}

export type Node =
  /** `int`: the digits of an integer literal; `dec`: a decimal literal as written (`0.125`, `4.5e33`), for
   *  exact evaluation (exact.ts); `lossy`: the double `v` over- or underflowed (`1e400`, `1e-400`) */
  | { k: "num"; v: number; int?: string; dec?: string; lossy?: boolean }
  | { k: "const"; v: "pi" | "e" | "i" | "inf" }
  | { k: "var"; name: string }
  | { k: "add"; a: Node; b: Node }
  | { k: "sub"; a: Node; b: Node }
  | { k: "neg"; a: Node }
  | { k: "mul"; a: Node; b: Node }
  | { k: "div"; a: Node; b: Node }
  | { k: "pow"; a: Node; b: Node }
  | { k: "root"; a: Node; n: Node }
  | { k: "fn"; name: string; a: Node; base?: Node }
  | { k: "fact"; a: Node }
  | { k: "abs"; a: Node }
  | { k: "binom"; a: Node; b: Node };

/** smallest normal double: a non-zero result below it has lost precision (underflow) */
export const TINY = 2.2250738585072014e-308;

class Parser {
  private p = 0;
  private depth = 0;
  private absDepth = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly maxDepth: number,
  ) {}

  parseAll(): Node {
    if (this.toks.length === 0) throw new ExprError("empty expression");
    const e = this.sum();
    if (this.p < this.toks.length) throw new ExprError(`unexpected ${this.toks[this.p]!.v}`);
    return e;
  }
  private peek(): Tok | undefined {
    return this.toks[this.p];
  }
  private isOp(v: string): boolean {
    const t = this.toks[this.p];
    return t !== undefined && (t.t === "op" || t.t === "cmd") && t.v === v;
  }
  private expect(v: string): void {
    if (!this.isOp(v)) throw new ExprError(`expected ${v}`);
    this.p++;
  }
  private enter(): void {
    if (++this.depth > this.maxDepth) throw new RefusedError(`nesting deeper than ${this.maxDepth}`);
  }

  sum(): Node {
    this.enter();
    let left: Node;
    if (this.isOp("-")) {
      this.p++;
      left = { k: "neg", a: this.product() };
    } else {
      if (this.isOp("+")) this.p++;
      left = this.product();
    }
    for (;;) {
      if (this.isOp("+")) {
        this.p++;
        left = { k: "add", a: left, b: this.product() };
      } else if (this.isOp("-")) {
        this.p++;
        left = { k: "sub", a: left, b: this.product() };
      } else break;
    }
    this.depth--;
    return left;
  }

  private startsFactor(): boolean {
    const t = this.peek();
    if (!t) return false;
    if (t.t === "num" || t.t === "id") return true;
    if (t.t === "cmd") {
      return !MUL_OPS.has(t.v) && t.v !== "\\div" && t.v !== "\\pm" && t.v !== "\\mp" && t.v !== "\\}" && t.v !== "\\rfloor" && t.v !== "\\rceil";
    }
    if (t.v === "(" || t.v === "{" || t.v === "[") return true;
    if (t.v === "|") return this.absDepth === 0;
    return false;
  }

  product(): Node {
    this.enter();
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (!t) break;
      if ((t.t === "op" || t.t === "cmd") && MUL_OPS.has(t.v)) {
        this.p++;
        left = { k: "mul", a: left, b: this.unary() };
      } else if ((t.t === "op" && t.v === "/") || (t.t === "cmd" && t.v === "\\div")) {
        this.p++;
        left = { k: "div", a: left, b: this.unary() };
      } else if (this.startsFactor()) {
        const right = this.power();
        // 2\frac{1}{2} is the mixed number 2½, not 2 · ½
        if (left.k === "num" && left.int !== undefined && isIntFraction(right)) left = { k: "add", a: left, b: right };
        else left = { k: "mul", a: left, b: right };
      } else break;
    }
    this.depth--;
    return left;
  }

  unary(): Node {
    if (this.isOp("-")) {
      this.p++;
      this.enter();
      const a = this.unary();
      this.depth--;
      return { k: "neg", a };
    }
    if (this.isOp("+")) {
      this.p++;
      return this.unary();
    }
    return this.power();
  }

  power(): Node {
    this.enter();
    const base = this.postfix();
    let out = base;
    if (this.isOp("^")) {
      this.p++;
      const ex = this.exponent();
      out = { k: "pow", a: base, b: ex };
      // x^2! is rare; allow postfix factorial after the power
      while (this.isOp("!")) {
        this.p++;
        out = { k: "fact", a: out };
      }
    }
    this.depth--;
    return out;
  }

  /** `^2`, `^{...}`, `^-1`, `^\pi` */
  private exponent(): Node {
    const t = this.peek();
    if (!t) throw new ExprError("missing exponent");
    if (t.t === "op" && t.v === "{") return this.group("{", "}");
    if (t.t === "num") {
      // in LaTeX `x^23` is x^2 · 3: only the first digit is the exponent
      this.p++;
      if (t.v.length > 1 && /^\d+$/.test(t.v)) {
        this.toks.splice(this.p, 0, { t: "num", v: t.v.slice(1) });
        return num(t.v[0]!);
      }
      return num(t.v);
    }
    if (t.t === "op" && (t.v === "-" || t.v === "+")) {
      this.p++;
      const e = this.exponent();
      return t.v === "-" ? { k: "neg", a: e } : e;
    }
    return this.primary();
  }

  postfix(): Node {
    let e = this.primary();
    for (;;) {
      if (this.isOp("!")) {
        this.p++;
        e = { k: "fact", a: e };
      } else if (this.isOp("'")) {
        throw new ExprError("prime notation");
      } else break;
    }
    return e;
  }

  private group(open: string, close: string): Node {
    this.expect(open);
    const e = this.sum();
    this.expect(close);
    return e;
  }

  /** raw text of a subscript, for variable names */
  private subscriptText(): string {
    const t = this.peek();
    if (!t) throw new ExprError("missing subscript");
    if (t.t === "op" && t.v === "{") {
      let depth = 0;
      let text = "";
      while (this.p < this.toks.length) {
        const u = this.toks[this.p++]!;
        if (u.t === "op" && u.v === "{") {
          if (depth++ === 0) continue;
        } else if (u.t === "op" && u.v === "}") {
          if (--depth === 0) return text;
        }
        text += u.v;
      }
      throw new ExprError("unbalanced subscript");
    }
    this.p++;
    if (t.t === "num" && t.v.length > 1) {
      // `x_12` is x_1 · 2 in LaTeX
      this.toks.splice(this.p, 0, { t: "num", v: t.v.slice(1) });
      return t.v[0]!;
    }
    return t.v;
  }

  primary(): Node {
    this.enter();
    const t = this.peek();
    if (!t) throw new ExprError("unexpected end");
    let out: Node;
    if (t.t === "num") {
      this.p++;
      out = num(t.v);
      if (this.isOp("_")) {
        // 52_8: a numeral in base 8
        this.p++;
        const base = Number(this.subscriptText());
        if (!Number.isInteger(base) || base < 2 || base > 36 || t.v.includes(".")) throw new ExprError("bad base");
        const v = parseInt(t.v, base);
        if (!Number.isFinite(v) || v.toString(base) !== t.v.replace(/^0+(?=.)/, "").toLowerCase()) throw new ExprError("bad numeral");
        // the round trip above proves v exact; BigInt prints it without String's 1.18e+21 rounding
        out = num(BigInt(v).toString());
      }
    } else if (t.t === "id") {
      this.p++;
      let name = t.v;
      if (this.isOp("_")) {
        this.p++;
        name += "_" + this.subscriptText();
      }
      if (name === "e") out = { k: "const", v: "e" };
      else if (name === "i") out = { k: "const", v: "i" };
      else out = { k: "var", name };
    } else if (t.t === "op") {
      if (t.v === "(") out = this.group("(", ")");
      else if (t.v === "[") out = this.group("[", "]");
      else if (t.v === "{") out = this.group("{", "}");
      else if (t.v === "|") {
        this.p++;
        this.absDepth++;
        const a = this.sum();
        this.absDepth--;
        this.expect("|");
        out = { k: "abs", a };
      } else throw new ExprError(`unexpected ${t.v}`);
    } else {
      out = this.command(t.v);
    }
    this.depth--;
    return out;
  }

  private command(cmd: string): Node {
    this.p++;
    switch (cmd) {
      case "\\pi":
        return { k: "const", v: "pi" };
      case "\\infty":
        return { k: "const", v: "inf" };
      case "\\frac": {
        const a = this.group("{", "}");
        const b = this.group("{", "}");
        return { k: "div", a, b };
      }
      case "\\binom":
      case "\\dbinom":
      case "\\tbinom": {
        const a = this.group("{", "}");
        const b = this.group("{", "}");
        return { k: "binom", a, b };
      }
      case "\\sqrt": {
        let n: Node | null = null;
        if (this.isOp("[")) n = this.group("[", "]");
        const a = this.isOp("{") ? this.group("{", "}") : this.postfix();
        return n ? { k: "root", a, n } : { k: "root", a, n: num("2") };
      }
      case "\\lfloor": {
        const a = this.sum();
        this.expect("\\rfloor");
        return { k: "fn", name: "floor", a };
      }
      case "\\lceil": {
        const a = this.sum();
        this.expect("\\rceil");
        return { k: "fn", name: "ceil", a };
      }
      case "\\{": {
        throw new ExprError("set braces inside an expression");
      }
    }
    if (ACCENTS.has(cmd)) {
      // \dot{x}, \hat{n}, \overline{z}: a decorated symbol is its own variable
      const inner = this.isOp("{") ? this.subscriptText() : (this.peek()?.v ?? "");
      if (!this.isOp("{") && inner) this.p++;
      let name = `${cmd}{${inner}}`;
      if (this.isOp("_")) {
        this.p++;
        name += "_" + this.subscriptText();
      }
      return { k: "var", name };
    }
    if (GREEK.has(cmd)) {
      let name = cmd;
      if (this.isOp("_")) {
        this.p++;
        name += "_" + this.subscriptText();
      }
      return { k: "var", name };
    }
    if (FUNCTIONS.has(cmd)) {
      let base: Node | undefined;
      let power: Node | undefined;
      if (cmd === "\\log" && this.isOp("_")) {
        this.p++;
        base = this.isOp("{") ? this.group("{", "}") : this.primary();
      }
      if (this.isOp("^")) {
        this.p++;
        power = this.exponent();
      }
      let a: Node;
      if (this.isOp("(")) a = this.group("(", ")");
      else if (this.isOp("{")) a = this.group("{", "}");
      else a = this.unaryArg();
      let f: Node = { k: "fn", name: cmd.slice(1), a, ...(base ? { base } : {}) };
      if (power) {
        // \sin^{-1} x is arcsin x
        if (power.k === "neg" && power.a.k === "num" && power.a.v === 1 && ["sin", "cos", "tan"].includes(cmd.slice(1))) {
          f = { k: "fn", name: "arc" + cmd.slice(1), a };
        } else f = { k: "pow", a: f, b: power };
      }
      return f;
    }
    throw new ExprError(`unknown command ${cmd}`);
  }

  /** argument of a function written without parentheses: `\sin x`, `\ln 2`, `\sin 2x` (a product of simple factors) */
  private unaryArg(): Node {
    let a = this.power();
    while (this.startsFactor()) {
      const t = this.peek()!;
      if (t.t === "cmd" && FUNCTIONS.has(t.v)) break;
      a = { k: "mul", a, b: this.power() };
    }
    return a;
  }
}

function isIntFraction(n: Node): boolean {
  return n.k === "div" && n.a.k === "num" && n.a.int !== undefined && n.b.k === "num" && n.b.int !== undefined && n.a.v < n.b.v;
}

function num(text: string): Node {
  let t = text;
  const v = Number(t);
  if (Number.isNaN(v)) throw new ExprError(`bad number ${text}`);
  if (/^\d+$/.test(t)) {
    t = t.replace(/^0+(?=\d)/, "");
    return v === Infinity ? { k: "num", v, int: t, lossy: true } : { k: "num", v, int: t };
  }
  // 1e400 is Infinity and 1e-400 is 0 in doubles: only the exact layer may read such a literal
  const e = t.search(/[eE]/);
  const lossy = !Number.isFinite(v) || (Math.abs(v) < TINY && /[1-9]/.test(e < 0 ? t : t.slice(0, e)));
  return lossy ? { k: "num", v, dec: t, lossy } : { k: "num", v, dec: t };
}

export function parseExpr(s: string, maxDepth = 120): Node {
  return new Parser(tokenize(s), maxDepth).parseAll();
}
