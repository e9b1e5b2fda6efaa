/**
 * Hands text to the browser as a file download (a list exported as CSV). The file goes
 * where the browser puts downloads; nothing is written without the user clicking.
 */
export function downloadText(name: string, text: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}
