// The 10 class probabilities of the drawn digit, as horizontal bars (plain elements, no canvas).

/** Fills `container` with one bar per digit; returns a function that shows probabilities (or none). */
export function probabilityBars(container: HTMLElement): (probs: ArrayLike<number> | null) => void {
  const rows = Array.from({ length: 10 }, (_, digit) => {
    const row = document.createElement('div');
    row.className = 'bar';
    row.innerHTML = `<span class="digit">${digit}</span><span class="track"><span class="fill"></span></span><span class="value"></span>`;
    container.append(row);
    return { row, fill: row.querySelector<HTMLElement>('.fill')!, value: row.querySelector<HTMLElement>('.value')! };
  });
  return (probs) => {
    const best = probs ? Array.from(probs).indexOf(Math.max(...Array.from(probs))) : -1;
    rows.forEach(({ row, fill, value }, digit) => {
      const p = probs ? probs[digit] : 0;
      fill.style.width = `${(100 * p).toFixed(1)}%`;
      value.textContent = probs ? p.toFixed(2) : '';
      row.classList.toggle('best', digit === best);
    });
  };
}
