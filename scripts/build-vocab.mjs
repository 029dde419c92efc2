#!/usr/bin/env node
/**
 * Part of `npm run build` (after tsc): writes gpt-tokenizer's o200k_base rank list as one byte table,
 * dist/tokens/o200k_base.vocab (src/tokens/vocab.ts), stamped with the gpt-tokenizer version. Loading
 * it takes ~15 ms where importing gpt-tokenizer's encoding takes ~0.45 CPU-s, in every process and
 * thread that counts tokens.
 */
import { writeFileSync, renameSync } from "node:fs";
import { Vocab, VOCAB_FILE, gptTokenizerVersion, o200kRankList } from "../dist/tokens/vocab.js";

const vocab = Vocab.fromRankList(await o200kRankList());
const tmp = `${VOCAB_FILE}.tmp`;
writeFileSync(tmp, vocab.serialize(gptTokenizerVersion()));
renameSync(tmp, VOCAB_FILE);
