// Route name -> screen. Every screen is a class with `el`, and optionally
// `update(topic, detail)` for store changes and `destroy()`.

import { ChatScreen } from "./chat.js";
import { HomeScreen } from "./home.js";
import { LoadingScreen, LoginScreen } from "./login.js";
import { DescribeScreen, WhereScreen, WhoScreen } from "./newcontact.js";
import { OutcomeScreen } from "./outcome.js";
import { QuestionsScreen } from "./questions.js";

export const SCREENS = {
  login: LoginScreen,
  loading: LoadingScreen,
  home: HomeScreen,
  who: WhoScreen,
  where: WhereScreen,
  describe: DescribeScreen,
  questions: QuestionsScreen,
  outcome: OutcomeScreen,
  chat: ChatScreen,
};
