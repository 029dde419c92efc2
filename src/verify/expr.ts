/**
 * Fast expression layer: a small LaTeX math parser and a complex-number evaluator.
 *
 * Decides most symbolic pairs (`\frac{\sqrt3}{2}` vs `\frac{\sqrt{3}}{2}`, `2\pi` vs `\pi\cdot 2`,
 * `(x+1)^2` vs `x^2+2x+1`) without the symbolic engine: constant expressions are compared by value,
 * expressions with free variables at fixed pseudo-random points (the same points for both sides).
 * Anything it does not understand throws `ExprError` and goes to the symbolic worker; anything too
 * deep throws `RefusedError` (the verdict is then `timeout`, the cheap refusal of the isolation rule).
 */

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

type Tok = { t: "num"; v: string } | { t: "id"; v: string } | { t: "cmd"; v: string } | { t: "op"; v: string };

const FUNCTIONS = new Set([
  "\\sin", "\\cos", "\\tan", "\\cot", "\\sec", "\\csc", "\\arcsin", "\\arccos", "\\arctan",
  "\\sinh", "\\cosh", "\\tanh", "\\ln", "\\log", "\\exp", "\\lg",
]);
const GREEK = new Set([
  "\\alpha", "\\beta", "\\gamma", "\\delta", "\\epsilon", "\\zeta", "\\eta", "\\theta", "\\iota", "\\kappa",
  "\\lambda", "\\mu", "\\nu", "\\xi", "\\rho", "\\sigma", "\\tau", "\\upsilon", "\\phi", "\\chi", "\\psi",
  "\\omega", "\\Gamma", "\\Delta", "\\Theta", "\\Lambda", "\\Xi", "\\Pi", "\\Sigma", "\\Phi", "\\Psi", "\\Omega",
  "\\ell", "\\hbar", "\\varrho", "\\varsigma",
]);
const ACCENTS = new Set(["\\dot", "\\ddot", "\\hat", "\\bar", "\\vec", "\\tilde", "\\overline", "\\widehat", "\\widetilde", "\\mathcal", "\\mathbb"]);
const MUL_OPS = new Set(["*", "\\cdot", "\\times", "\\ast"]);
const OTHER_COMMANDS = ["\\pi", "\\infty", "\\frac", "\\binom", "\\dbinom", "\\tbinom", "\\sqrt", "\\lfloor", "\\rfloor", "\\lceil", "\\rceil", "\\div", "\\pm", "\\mp"];
const KNOWN = new Set<string>([...FUNCTIONS, ...GREEK, ...MUL_OPS, ...OTHER_COMMANDS, ...ACCENTS]);
/** longest known command that prefixes an unknown one (`\cotx` → `\cot`), else the command itself */
function knownPrefix(cmd: string): string {
  let best = cmd;
  let bestLen = 0;
  for (const k of KNOWN) {
    if (k.length > bestLen && k.length >= 3 && cmd.startsWith(k) && /^[A-Za-z]+$/.test(cmd.slice(k.length))) {
      best = k;
      bestLen = k.length;
    }
  }
  return best;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function tokenize(s: string): Tok[] {
  const toks: Tok[] = [];
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 32) {
      i++;
      continue;
    }
    if (isDigit(c) || (c === 46 && i + 1 < n && isDigit(s.charCodeAt(i + 1)))) {
      let j = i;
      while (j < n && isDigit(s.charCodeAt(j))) j++;
      if (j < n && s.charCodeAt(j) === 46 && !(j + 1 < n && s.charCodeAt(j + 1) === 46)) {
        j++;
        while (j < n && isDigit(s.charCodeAt(j))) j++;
      }
      // scientific notation 4.5e33 / 1e-5 (only when digits follow the e)
      if (j < n && (s[j] === "e" || s[j] === "E")) {
        let k = j + 1;
        if (k < n && (s[k] === "+" || s[k] === "-")) k++;
        if (k < n && isDigit(s.charCodeAt(k))) {
          while (k < n && isDigit(s.charCodeAt(k))) k++;
          j = k;
        }
      }
      toks.push({ t: "num", v: s.slice(i, j) });
      i = j;
      continue;
    }
    if (c === 92) {
      let j = i + 1;
      if (j < n && isLetter(s.charCodeAt(j))) {
        while (j < n && isLetter(s.charCodeAt(j))) j++;
      } else j++;
      const cmd = s.slice(i, j);
      const known = KNOWN.has(cmd) ? cmd : knownPrefix(cmd);
      // `\cotx`, `\pic` (spaces lost upstream): a known command followed by single-letter variables
      toks.push({ t: "cmd", v: known });
      for (let k = known.length; k < cmd.length; k++) toks.push({ t: "id", v: cmd[k]! });
      i = j;
      continue;
    }
    if (isLetter(c)) {
      toks.push({ t: "id", v: s[i]! });
      i++;
      continue;
    }
    toks.push({ t: "op", v: s[i]! });
    i++;
  }
  return toks;
}

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

// ---------------------------------------------------------------- evaluation (complex doubles)

export interface C {
  re: number;
  im: number;
}
const cx = (re: number, im = 0): C => ({ re, im });
const NAN: C = { re: NaN, im: NaN };

/** smallest normal double: a non-zero result below it has lost precision (underflow) */
const TINY = 2.2250738585072014e-308;
/**
 * Set when a computation on finite, non-zero operands over- or underflowed (2^{2000} → Infinity,
 * 10^{-400} → 0, 1e-200·1e-200 → 0): the value then says nothing about equality, so 10^{-400}\pi and
 * 10^{-300}\pi must not compare equal as 0 = 0. Cleared by the callers of `evaluate` that read it.
 */
let rangeLost = false;

function isZero(a: C): boolean {
  return a.re === 0 && a.im === 0;
}
/** r = a ∘ b (product, quotient, power): flag Infinity or a vanishing value from finite non-zero operands */
function guard(r: C, a: C, b: C): C {
  const m = Math.max(Math.abs(r.re), Math.abs(r.im));
  if ((m === Infinity || m < TINY) && finite(a) && finite(b) && !isZero(a) && !isZero(b)) rangeLost = true;
  return r;
}
/** sums overflow only (a difference that cancels to 0 is exact) */
function guardSum(r: C, a: C, b: C): C {
  if (!finite(r) && finite(a) && finite(b)) rangeLost = true;
  return r;
}

function cmul(a: C, b: C): C {
  return guard({ re: a.re * b.re - a.im * b.im, im: a.re * b.im + a.im * b.re }, a, b);
}
function cdiv(a: C, b: C): C {
  if (b.im === 0) return guard({ re: a.re / b.re, im: a.im / b.re }, a, b);
  const d = b.re * b.re + b.im * b.im;
  return guard({ re: (a.re * b.re + a.im * b.im) / d, im: (a.im * b.re - a.re * b.im) / d }, a, b);
}
function clog(a: C): C {
  return { re: Math.log(Math.hypot(a.re, a.im)), im: Math.atan2(a.im, a.re) };
}
function cexp(a: C): C {
  const m = Math.exp(a.re);
  if ((m === Infinity || m < TINY) && Number.isFinite(a.re)) rangeLost = true;
  return a.im === 0 ? { re: m, im: 0 } : { re: m * Math.cos(a.im), im: m * Math.sin(a.im) };
}
function cpow(a: C, b: C): C {
  if (a.im === 0 && b.im === 0) {
    if (a.re >= 0 || Number.isInteger(b.re)) return guard({ re: Math.pow(a.re, b.re), im: 0 }, a, b);
  }
  if (a.re === 0 && a.im === 0) return b.re > 0 ? cx(0) : NAN;
  if (b.im === 0 && Number.isInteger(b.re) && Math.abs(b.re) <= 64) {
    // exact-ish repeated multiplication for integer powers of complex numbers
    let r = cx(1);
    const n = Math.abs(b.re);
    for (let k = 0; k < n; k++) r = cmul(r, a);
    return b.re < 0 ? cdiv(cx(1), r) : r;
  }
  return cexp(cmul(b, clog(a)));
}
function real(f: (x: number) => number, a: C): C {
  if (a.im !== 0) return NAN;
  return cx(f(a.re));
}

function factorial(n: number): number {
  if (!Number.isInteger(n) || n < 0) return NaN;
  if (n > 170) {
    rangeLost = true;
    return Infinity;
  }
  let r = 1;
  for (let k = 2; k <= n; k++) r *= k;
  return r;
}

export function evaluate(node: Node, env: Map<string, number>): C {
  switch (node.k) {
    case "num":
      if (node.lossy) rangeLost = true;
      return cx(node.v);
    case "const":
      return node.v === "pi" ? cx(Math.PI) : node.v === "e" ? cx(Math.E) : node.v === "i" ? cx(0, 1) : cx(Infinity);
    case "var": {
      const v = env.get(node.name);
      if (v === undefined) return NAN;
      return cx(v);
    }
    case "add": {
      const a = evaluate(node.a, env);
      const b = evaluate(node.b, env);
      return guardSum({ re: a.re + b.re, im: a.im + b.im }, a, b);
    }
    case "sub": {
      const a = evaluate(node.a, env);
      const b = evaluate(node.b, env);
      return guardSum({ re: a.re - b.re, im: a.im - b.im }, a, b);
    }
    case "neg": {
      const a = evaluate(node.a, env);
      return { re: -a.re, im: -a.im };
    }
    case "mul":
      return cmul(evaluate(node.a, env), evaluate(node.b, env));
    case "div":
      return cdiv(evaluate(node.a, env), evaluate(node.b, env));
    case "pow":
      return cpow(evaluate(node.a, env), evaluate(node.b, env));
    case "root": {
      const a = evaluate(node.a, env);
      const n = evaluate(node.n, env);
      if (n.im !== 0) return NAN;
      if (a.im === 0 && a.re < 0 && Number.isInteger(n.re) && n.re % 2 !== 0) return cx(-Math.pow(-a.re, 1 / n.re));
      if (n.re === 2 && a.im === 0) return a.re >= 0 ? cx(Math.sqrt(a.re)) : cx(0, Math.sqrt(-a.re));
      return cpow(a, cx(1 / n.re));
    }
    case "fact":
      return real(factorial, evaluate(node.a, env));
    case "abs": {
      const a = evaluate(node.a, env);
      return cx(Math.hypot(a.re, a.im));
    }
    case "binom": {
      const a = evaluate(node.a, env);
      const b = evaluate(node.b, env);
      if (a.im !== 0 || b.im !== 0 || !Number.isInteger(b.re) || b.re < 0) return NAN;
      if (b.re > 1000) return NAN;
      let r = 1;
      for (let k = 0; k < b.re; k++) r = (r * (a.re - k)) / (k + 1);
      if (!Number.isFinite(r) && Number.isFinite(a.re)) rangeLost = true;
      return cx(Number.isInteger(a.re) ? Math.round(r) : r);
    }
    case "fn": {
      const a = evaluate(node.a, env);
      switch (node.name) {
        case "sin":
          return real(Math.sin, a);
        case "cos":
          return real(Math.cos, a);
        case "tan":
          return real(Math.tan, a);
        case "cot":
          return real((x) => 1 / Math.tan(x), a);
        case "sec":
          return real((x) => 1 / Math.cos(x), a);
        case "csc":
          return real((x) => 1 / Math.sin(x), a);
        case "arcsin":
          return a.im === 0 && Math.abs(a.re) <= 1 ? cx(Math.asin(a.re)) : NAN;
        case "arccos":
          return a.im === 0 && Math.abs(a.re) <= 1 ? cx(Math.acos(a.re)) : NAN;
        case "arctan":
          return real(Math.atan, a);
        case "sinh":
          return real(Math.sinh, a);
        case "cosh":
          return real(Math.cosh, a);
        case "tanh":
          return real(Math.tanh, a);
        case "exp":
          return cexp(a);
        case "floor":
          return real(Math.floor, a);
        case "ceil":
          return real(Math.ceil, a);
        case "ln":
          return clog(a);
        case "lg":
          return cdiv(clog(a), cx(Math.LN10));
        case "log": {
          const base = node.base ? evaluate(node.base, env) : cx(10);
          return cdiv(clog(a), clog(base));
        }
      }
      return NAN;
    }
  }
}

/** the value of an expression without variables, or null when it is not finite or a double over/underflowed */
export function evaluateConstant(node: Node): C | null {
  rangeLost = false;
  const v = evaluate(node, new Map());
  return rangeLost || !finite(v) ? null : v;
}

export function freeVars(node: Node, out: Set<string> = new Set()): Set<string> {
  switch (node.k) {
    case "var":
      out.add(node.name);
      break;
    case "num":
    case "const":
      break;
    case "neg":
    case "fact":
    case "abs":
      freeVars(node.a, out);
      break;
    case "fn":
      freeVars(node.a, out);
      if (node.base) freeVars(node.base, out);
      break;
    case "root":
      freeVars(node.a, out);
      freeVars(node.n, out);
      break;
    default:
      freeVars(node.a, out);
      freeVars(node.b, out);
  }
  return out;
}

/** deterministic sample points (fixed, irrational-looking, positive: `\sqrt{x^2} = x` style identities hold) */
const POINTS = [0.7213, 1.3719, 2.1837, 0.4129, 1.8861, 2.6473, 0.9517, 1.5293];

export function closeEnough(a: C, b: C, relTol: number): boolean {
  if (!Number.isFinite(a.re) || !Number.isFinite(b.re) || !Number.isFinite(a.im) || !Number.isFinite(b.im)) return false;
  const scale = Math.max(Math.hypot(a.re, a.im), Math.hypot(b.re, b.im));
  const diff = Math.hypot(a.re - b.re, a.im - b.im);
  // absolute slack only against an exact zero (sin π vs 0); otherwise purely relative, so 3.88e-10 ≠ 3.89e-10
  if (Math.min(Math.hypot(a.re, a.im), Math.hypot(b.re, b.im)) === 0) return diff <= 1e-12;
  return diff <= relTol * scale;
}

function finite(a: C): boolean {
  return Number.isFinite(a.re) && Number.isFinite(a.im);
}

/**
 * true / false when the fast layer can decide, null when it cannot (non-finite values, every sample
 * point undefined): the caller then asks the symbolic engine.
 */
export function exprEqual(a: Node, b: Node, relTol: number): boolean | null {
  const vars = [...freeVars(a, freeVars(b))].sort();
  if (vars.length === 0) {
    rangeLost = false;
    const va = evaluate(a, new Map());
    const vb = evaluate(b, new Map());
    // 10^{-400}\pi vs 10^{-300}\pi are 0 = 0 in doubles, \pi^{1000} vs \pi^{1001} ∞ = ∞: no verdict from that
    if (rangeLost) throw new RefusedError("a value over- or underflows a double", "exact/out_of_range");
    if (!finite(va) || !finite(vb)) {
      // ±∞ literally on both sides
      if (isInfLiteral(a) !== 0 && isInfLiteral(a) === isInfLiteral(b)) return true;
      return null;
    }
    return closeEnough(va, vb, relTol);
  }
  // with free variables: identical values at every usable point (tight tolerance)
  const env = new Map<string, number>();
  let usable = 0;
  let lost = 0;
  for (let p = 0; p < 4; p++) {
    vars.forEach((v, k) => env.set(v, POINTS[(p * 3 + k * 5) % POINTS.length]! + k * 0.1173));
    rangeLost = false;
    const va = evaluate(a, env);
    const vb = evaluate(b, env);
    if (rangeLost) {
      // e^{-1000x} underflows to 0 at every point: such a point tells nothing, like a pole
      lost++;
      continue;
    }
    const fa = finite(va);
    const fb = finite(vb);
    if (!fa && !fb) continue;
    if (fa !== fb) return null;
    usable++;
    if (!closeEnough(va, vb, 1e-8)) return false;
  }
  if (usable >= 2) return true;
  // the engine's numeric checks are doubles too (it calls e^{-1000x} and 0 equal): refuse instead
  if (lost > 0) throw new RefusedError("values over- or underflow a double at the sample points", "exact/out_of_range");
  return null;
}

/**
 * Equations: lhs₁−rhs₁ and lhs₂−rhs₂ proportional with a constant non-zero ratio (positive when
 * `positive`, for inequalities). null when undecidable.
 */
export function proportional(d1: Node, d2: Node, positive: boolean): boolean | null {
  const vars = [...freeVars(d1, freeVars(d2))].sort();
  const env = new Map<string, number>();
  let ratio: number | null = null;
  let usable = 0;
  for (let p = 0; p < 5; p++) {
    vars.forEach((v, k) => env.set(v, POINTS[(p * 3 + k * 5) % POINTS.length]! + k * 0.1173));
    rangeLost = false;
    const a = evaluate(d1, env);
    const b = evaluate(d2, env);
    if (rangeLost) continue;
    if (!finite(a) || !finite(b) || a.im !== 0 || b.im !== 0) continue;
    if (Math.abs(a.re) < 1e-12 && Math.abs(b.re) < 1e-12) continue;
    if (Math.abs(b.re) < 1e-12 || Math.abs(a.re) < 1e-12) return false;
    const r = a.re / b.re;
    if (ratio === null) ratio = r;
    else if (Math.abs(r - ratio) > 1e-8 * Math.max(Math.abs(r), Math.abs(ratio))) return false;
    usable++;
  }
  if (ratio === null || usable < 2) return null;
  // only rearrangements count (ratio ±1): "5x-7y+11z+4=0" and "20x-28y+44z+16=0" are the same plane, but
  // a problem asking for a normalised form does not accept the scaled one
  if (Math.abs(Math.abs(ratio) - 1) > 1e-8) return false;
  return positive ? ratio > 0 : true;
}

/** +1 for `\infty` / `+\infty`, −1 for `-\infty`, 0 otherwise */
export function isInfLiteral(n: Node): number {
  if (n.k === "const" && n.v === "inf") return 1;
  if (n.k === "neg") return -isInfLiteral(n.a);
  return 0;
}
