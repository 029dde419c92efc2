/** Hand-made benchmark problems for the decontamination tests (made for this project, not from any benchmark). */
export const FARM =
  "A farmer plants 17 rows of turnips with 23 turnips in each row. After a storm, every fourth turnip in each row is lost, " +
  "and a goat eats 9 of the survivors. How many turnips remain in the field at the end of the season?";
export const CUBIC =
  "Let $P(x)$ be a cubic polynomial with $P(1)=4$, $P(2)=9$, $P(3)=20$ and $P(4)=43$. Find the remainder when $P(10)$ is divided by $7$.";
export const MARBLES =
  "A jar holds red and blue marbles in the ratio $5:3$. Two marbles are drawn without replacement from a jar of $40$ marbles, and the " +
  "probability that both are blue is $\\frac{m}{n}$, where $m$ and $n$ are relatively prime positive integers. Find $m+n$.";
export const SHORT = "Simplify $\\sqrt{338}$.";
