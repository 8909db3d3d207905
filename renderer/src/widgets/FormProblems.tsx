// What stands between a form and saving it, at the foot of the form: its own problems, each named by
// where it is, and what the engine refused when it was sent anyway.

export function FormProblems({
  problems,
  engineError,
  testId,
  engineErrorTestId,
}: {
  /** "where: what", one per problem. */
  problems: readonly string[];
  engineError: string | null;
  testId?: string;
  engineErrorTestId: string;
}) {
  return (
    <>
      {problems.length > 0 && (
        <p className="form-problems" role="alert" data-testid={testId}>
          Fix {problems.length === 1 ? 'this' : `these ${problems.length}`} first: {problems.join('; ')}
        </p>
      )}
      {engineError && (
        <p className="form-problems" role="alert" data-testid={engineErrorTestId}>
          The engine refused: {engineError}
        </p>
      )}
    </>
  );
}
